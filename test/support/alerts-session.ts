import { afterAll, beforeAll } from 'vitest';
import type { useAddons } from './addon-session.js';
import { entityState, HaWatch } from './ha-watch.js';
import type { MqttBroker } from './mosquitto.js';
import { waitFor } from './ports.js';
import { sharedHa } from './shared-ha.js';
import { putToken, ssmAddonOptions, uniqueParameter } from './ssm.js';
import type { useSsm } from './ssm-session.js';
import { SupervisorStandIn } from './supervisor-stand-in.js';

/**
 * What every alerts test file arranges the same way: a stand-in for the
 * Supervisor (its Core proxy takes only the add-on's SUPERVISOR_TOKEN; it
 * offers `mqtt`'s broker when given one), a WebSocket watch on the run's
 * Home Assistant for the events and notifications, and the canary over
 * everything Home Assistant was told and said back. `watch` may be replaced
 * (a test that restarts Core opens a new one); the last one is recorded.
 */
export function useSupervisedAlerts(
  addons: ReturnType<typeof useAddons>,
  ssm: ReturnType<typeof useSsm>,
  options: { events?: string[]; mqtt?: () => MqttBroker | undefined } = {},
) {
  const ha = sharedHa();
  const session = {
    supervisor: undefined as unknown as SupervisorStandIn,
    watch: undefined as unknown as HaWatch,
    /** Entity states the tests read, for the canary. */
    transcripts: [] as string[],
    state: (entityId: string) => entityState(ha.url, ha.adminToken, entityId),
    /** The add-on's environment under the stand-in (alerts checked every 500 ms). */
    env: () => ({
      SUPERVISOR_TOKEN: session.supervisor.addonToken,
      SUPERVISOR_URL: session.supervisor.url,
      INGRESS_PEER: '127.0.0.1',
      ALERTS_CHECK_MS: '500',
    }),
    /** The add-on with its token in this SSM parameter, under the stand-in. */
    start: (parameter: string, extra: Record<string, unknown> = {}) =>
      addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter, extra), {
        env: session.env(),
      }),
    /** The add-on connected, its token (minted for `lifespanDays`) in a new SSM parameter. */
    startConnected: async (lifespanDays = 30) => {
      ssm.proxy.mode = { kind: 'pass' };
      const parameter = uniqueParameter();
      const token = addons.secret(await ha.mint(lifespanDays));
      await putToken(ssm.moto, parameter, token);
      const addon = await session.start(parameter);
      await addon.waitForStatus('connected', (s) => s.state === 'connected');
      return { addon, parameter, token };
    },
    /** Waits until Core reports the entity in this state; every state read is kept for the canary. */
    waitForEntity: (entityId: string, wanted: string, timeoutMs = 10_000) =>
      waitFor(
        `${entityId} to be ${wanted}`,
        async () => {
          const s = await session.state(entityId);
          if (s) session.transcripts.push(JSON.stringify(s));
          return s?.state === wanted ? s : undefined;
        },
        timeoutMs,
        100,
      ),
  };
  beforeAll(async () => {
    const broker = options.mqtt?.();
    if (options.mqtt && !broker) throw new Error('the integration project provides a broker');
    if (broker) addons.secret(broker.password);
    session.supervisor = await SupervisorStandIn.start(
      ha.url,
      ha.adminToken,
      broker ? { mqtt: broker } : {},
    );
    addons.secret(session.supervisor.addonToken);
    session.watch = await HaWatch.open(ha.url, ha.adminToken, options.events ?? []);
  });
  // Registered first, so it runs after the file's own afterAll hooks (vitest runs them as a stack).
  afterAll(async () => {
    addons.record(
      ...session.supervisor.forwarded,
      ...session.watch.transcript,
      ...session.transcripts,
    );
    session.watch.close();
    await session.supervisor.close();
  });
  return session;
}
