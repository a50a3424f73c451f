import { describe, expect, test } from 'vitest';
import type { Addon } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { useSupervisedAlerts } from '../support/alerts-session.js';
import { HaWatch } from '../support/ha-watch.js';
import { waitFor } from '../support/ports.js';
import { sharedHa } from '../support/shared-ha.js';
import { putToken, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// Alerts in Home Assistant (docs/alerts.md) against the run's real Home
// Assistant, reached the way an add-on reaches it: through a stand-in for the
// Supervisor's Core proxy that takes only the add-on's SUPERVISOR_TOKEN.

const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
addons.secret(TEST_AWS.secretAccessKey);

const EVENTS = [
  'ha_token_manager_rejected',
  'ha_token_manager_issued',
  'ha_token_manager_rotated',
  'ha_token_manager_revoked',
];
const PROBLEM = 'binary_sensor.ha_token_manager_addon_problem';
const REJECTED_ID = 'ha_token_manager_addon_rejected';

const alerts = useSupervisedAlerts(addons, ssm, { events: EVENTS });
const { state, waitForEntity, start: startSupervised } = alerts;

async function refresh(addon: Addon) {
  return (await addon.get('/api/refresh', { method: 'POST' })).status;
}

describe('alerts in Home Assistant through the Supervisor', () => {
  test('revoked: a notification within seconds and the problem sensor on; a good token in SSM dismisses it and turns it off', async () => {
    const { addon, parameter, token } = await alerts.startConnected(30);
    await waitForEntity(PROBLEM, 'off');
    const healthy = await waitForEntity('sensor.ha_token_manager_addon_state', 'ok');
    expect(healthy?.attributes.token).toBe(`••••${token.slice(-4)}`);

    const revokedAt = Date.now();
    await ha.revoke(token);
    await waitFor(
      'the rejected notification',
      () => alerts.watch.notifications.get(REJECTED_ID),
      10_000,
    );
    const tookMs = Date.now() - revokedAt;
    const notification = alerts.watch.notifications.get(REJECTED_ID);
    await waitForEntity(PROBLEM, 'on');
    expect(tookMs).toBeLessThan(5000);
    expect(notification?.message).toContain(`••••${token.slice(-4)}`);
    expect(notification?.message).toContain(`SSM parameter ${parameter}`);
    // Home Assistant 2026.11's frontend opens an app's page at /app/<slug> (src/alerts/start.ts).
    expect(notification?.message).toContain(`(/app/${alerts.supervisor.slug})`);
    await waitFor('the rejected event', () =>
      alerts.watch.events.find((e) => e.event_type === 'ha_token_manager_rejected'),
    );
    expect(
      alerts.watch.events.find((e) => e.event_type === 'ha_token_manager_rejected')?.data,
    ).toEqual({
      credential: 'addon',
      name: "Add-on's token",
      token: `••••${token.slice(-4)}`,
    });
    console.log(
      `[alerts] rejected → notification in ${tookMs} ms:\n${JSON.stringify(notification, null, 2)}`,
    );
    for (const id of [PROBLEM, 'sensor.ha_token_manager_addon_state'])
      console.log(`[alerts] rejected: ${id} = ${JSON.stringify(await state(id))}`);

    const good = addons.secret(await ha.mint(30));
    await putToken(ssm.moto, parameter, good);
    await refresh(addon);
    await waitFor(
      'the notification dismissed',
      () => !alerts.watch.notifications.has(REJECTED_ID),
      10_000,
    );
    await waitForEntity(PROBLEM, 'off');
    for (const id of [
      PROBLEM,
      'sensor.ha_token_manager_addon_state',
      'binary_sensor.ha_token_manager_problem',
    ])
      console.log(`[alerts] healthy: ${id} = ${JSON.stringify(await state(id))}`);
    // One notification for the problem, not one per attempt.
    const creates = alerts.supervisor.forwarded.filter(
      (r) => r.includes('persistent_notification/create') && r.includes(REJECTED_ID),
    );
    expect(creates, creates.join('\n')).toHaveLength(1);
  });

  test('a token with 10 days left and no rotation planned: the expiry notification and the expiry sensor', async () => {
    await alerts.startConnected(10);
    const n = await waitFor('the expiry notification', () =>
      alerts.watch.notifications.get('ha_token_manager_addon_expiring'),
    );
    expect(n.message).toMatch(/expires on \d{4}-\d\d-\d\d \(in (9|10) days\)/);
    const expires = await waitFor('the expiry sensor', async () => {
      const s = await state('sensor.ha_token_manager_addon_expires');
      return s && s.state !== 'unknown' ? s : undefined;
    });
    expect(Date.parse(expires.state) - Date.now()).toBeGreaterThan(9 * 86_400_000);
    expect(expires.attributes.device_class).toBe('timestamp');
  });

  test('Home Assistant restarts: the entities and the notification come back', async () => {
    const { token } = await alerts.startConnected(30);
    await waitForEntity(PROBLEM, 'off');
    await ha.revoke(token);
    await waitForEntity(PROBLEM, 'on');

    alerts.watch.close();
    await ha.stop();
    await ha.start();
    const runningAt = Date.now();
    alerts.watch = await HaWatch.open(ha.url, ha.adminToken, EVENTS);
    await waitForEntity(PROBLEM, 'on', 20_000);
    console.log(`[alerts] entities back ${Date.now() - runningAt} ms after Core was RUNNING again`);
    await waitForEntity('sensor.ha_token_manager_state', 'unauthorized');
    await waitFor(
      'the notification back',
      () => alerts.watch.notifications.get(REJECTED_ID),
      20_000,
    );
  });

  test('a rotation: issued and rotated events with masked tokens, the last-rotated sensor set', async () => {
    const { addon, token } = await alerts.startConnected(30);
    const before = alerts.watch.events.length;
    const rotated = await addon.get('/api/rotate', { method: 'POST' });
    expect(rotated.status).toBe(200);
    const events = await waitFor('issued and rotated', () => {
      const types = alerts.watch.events.slice(before).map((e) => e.event_type);
      return types.includes('ha_token_manager_rotated')
        ? alerts.watch.events.slice(before)
        : undefined;
    });
    expect(events.map((e) => e.event_type)).toEqual([
      'ha_token_manager_issued',
      'ha_token_manager_rotated',
    ]);
    expect(events[1]?.data).toMatchObject({
      credential: 'addon',
      replaced: `••••${token.slice(-4)}`,
      token: expect.stringMatching(/^••••.{4}$/),
    });
    const last = await waitFor('last rotated', async () => {
      const s = await state('sensor.ha_token_manager_addon_last_rotated');
      return s && s.state !== 'unknown' ? s : undefined;
    });
    expect(Math.abs(Date.parse(last.state) - Date.now())).toBeLessThan(60_000);

    // Stopped: the state-only entities say unavailable (MQTT's last will does the same).
    await addon.stop();
    await waitForEntity(PROBLEM, 'unavailable');
    // Started again with the rotation in its journal: nothing is announced again.
    const afterRestart = alerts.watch.events.length;
    const again = await addons.start(undefined, {
      dir: addon.dir,
      env: {
        SUPERVISOR_TOKEN: alerts.supervisor.addonToken,
        SUPERVISOR_URL: alerts.supervisor.url,
        INGRESS_PEER: '127.0.0.1',
        ALERTS_CHECK_MS: '500',
      },
    });
    await again.waitForStatus('connected', (s) => s.state === 'connected');
    await waitForEntity(PROBLEM, 'off');
    await waitForEntity('sensor.ha_token_manager_addon_last_rotated', last.state);
    expect(alerts.watch.events.slice(afterRestart).map((e) => e.event_type)).toEqual([]);
  });

  test('the proxy refuses anything but the add-on token: a wrong SUPERVISOR_TOKEN posts nothing and says so', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    const token = addons.secret(await ha.mint(30));
    await putToken(ssm.moto, parameter, token);
    const refusedBefore = alerts.supervisor.refused;
    const forwardedBefore = alerts.supervisor.forwarded.length;
    const addon = await addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter), {
      env: {
        SUPERVISOR_TOKEN: 'not-the-add-on-token',
        SUPERVISOR_URL: alerts.supervisor.url,
        INGRESS_PEER: '127.0.0.1',
        ALERTS_CHECK_MS: '500',
      },
    });
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    await waitFor('a refusal logged', () => addon.output.includes('refused the add-on token'));
    expect(alerts.supervisor.refused).toBeGreaterThan(refusedBefore);
    expect(alerts.supervisor.forwarded.length).toBe(forwardedBefore);
    // Logged once per outage, not once per attempt: three more refused attempts later, still one line.
    const attempts = alerts.supervisor.refused;
    await waitFor('three more attempts', () => alerts.supervisor.refused >= attempts + 3);
    expect(addon.output.split('Could not update Home Assistant').length - 1).toBe(1);
  });

  test('options that need fixing: the add-on problem on, its state misconfigured, a notification saying so; dismissed once they are fixed', async () => {
    const env = {
      SUPERVISOR_TOKEN: alerts.supervisor.addonToken,
      SUPERVISOR_URL: alerts.supervisor.url,
      INGRESS_PEER: '127.0.0.1',
      ALERTS_CHECK_MS: '500',
    };
    const bad = await addons.start({ refresh_schedule: 'not cron' }, { env });
    await bad.waitForStatus('misconfigured', (s) => s.state === 'misconfigured');
    await waitForEntity('sensor.ha_token_manager_state', 'misconfigured');
    await waitForEntity('binary_sensor.ha_token_manager_problem', 'on');
    const note = await waitFor('the misconfigured notification', () =>
      alerts.watch.notifications.get('ha_token_manager_misconfigured'),
    );
    expect(note.message).toContain('need');
    await bad.stop();
    // Fixed options: the notification from before is dismissed at start.
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    await putToken(ssm.moto, parameter, addons.secret(await ha.mint(30)));
    const good = await startSupervised(parameter);
    await good.waitForStatus('connected', (s) => s.state === 'connected');
    await waitFor('the notification dismissed', () =>
      alerts.watch.notifications.has('ha_token_manager_misconfigured') ? undefined : true,
    );
  });

  test('standalone (no SUPERVISOR_TOKEN): alerts are off and the log says so', async () => {
    const parameter = uniqueParameter();
    const token = addons.secret(await ha.mint(30));
    await putToken(ssm.moto, parameter, token);
    const addon = await addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    expect(addon.output).toContain('Alerts in Home Assistant are off: no Supervisor (standalone)');
  });
});
