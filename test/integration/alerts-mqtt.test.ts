import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { useAddons } from '../support/addon-session.js';
import { useSupervisedAlerts } from '../support/alerts-session.js';
import { haCommand } from '../support/ha-commands.js';
import { HaWatch } from '../support/ha-watch.js';
import { Mosquitto } from '../support/mosquitto.js';
import { waitFor } from '../support/ports.js';
import { sharedHa } from '../support/shared-ha.js';
import { NEVER, putToken, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';
import { SupervisorStandIn } from '../support/supervisor-stand-in.js';

// Entities by MQTT discovery (docs/alerts.md, "Entities") against the run's
// real Home Assistant, whose MQTT integration was set up by its config flow
// against Debian's mosquitto (test/support/global-setup.ts). The Supervisor
// stand-in offers that broker as the `mqtt` service, the way the Supervisor
// hands out the Mosquitto add-on's.

const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
addons.secret(TEST_AWS.secretAccessKey);

const PROBLEM = 'binary_sensor.ha_token_manager_addon_problem';
const REJECTED_ID = 'ha_token_manager_addon_rejected';
const ADDON_ENTITIES = ['binary_sensor.ha_token_manager_problem', 'sensor.ha_token_manager_state'];
const CREDENTIAL_ENTITIES = [
  PROBLEM,
  'sensor.ha_token_manager_addon_state',
  'sensor.ha_token_manager_addon_expires',
  'sensor.ha_token_manager_addon_last_used',
  'sensor.ha_token_manager_addon_last_rotated',
];
const CONSUMER_ENTITIES = CREDENTIAL_ENTITIES.map((id) =>
  id.replace('_addon_', '_consumer_alexa_'),
);

interface RegistryEntity {
  entity_id: string;
  unique_id: string;
  platform: string;
  device_id: string | null;
}
interface RegistryDevice {
  id: string;
  identifiers: [string, string][];
  name: string;
  manufacturer: string | null;
  model: string | null;
  sw_version: string | null;
  via_device_id: string | null;
}

/** Everything published on the broker, as `topic payload`, for the canary. */
const seen: string[] = [];
/** Retained topics of ours on the broker, to clear at the end. */
const ours = new Set<string>();
let spy: MqttClient;

const alerts = useSupervisedAlerts(addons, ssm, { mqtt: () => inject('mqtt') });
const { state, waitForEntity, start: startWithBroker } = alerts;

beforeAll(async () => {
  const broker = inject('mqtt');
  if (!broker) throw new Error('the integration project provides a broker');
  spy = await mqtt.connectAsync(`mqtt://${broker.host}:${broker.port}`, {
    username: broker.username,
    password: broker.password,
  });
  spy.on('message', (topic, payload) => {
    seen.push(`${topic} ${payload.toString()}`);
    if (/^(homeassistant\/[^/]+\/)?ha_token_manager\//.test(topic)) ours.add(topic);
  });
  await spy.subscribeAsync('#');
});

afterAll(async () => {
  addons.record(...seen);
  // Leave the shared Home Assistant without our MQTT entities: the state-only
  // tests post the same entity ids and look for a 404 after a restart.
  for (const topic of ours) await spy.publishAsync(topic, '', { retain: true });
  await waitFor('the MQTT entities removed', async () =>
    (await registry()).every((e) => !(e.platform === 'mqtt' && e.unique_id.startsWith('ha_token'))),
  );
  await spy.endAsync();
});

const registry = () =>
  haCommand<RegistryEntity[]>(ha.url, ha.adminToken, { type: 'config/entity_registry/list' });
const devices = () =>
  haCommand<RegistryDevice[]>(ha.url, ha.adminToken, { type: 'config/device_registry/list' });

const statePosts = () => alerts.supervisor.forwarded.filter((r) => /^POST \/api\/states\//.test(r));

describe('entities by MQTT discovery when the Supervisor offers a broker', () => {
  test('unique ids, one device per credential under the add-on’s device, the same entity ids; revoked → problem on, good token → off; nothing posted state-only', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    // A state-only entity from before the broker was installed holds the id:
    // the add-on removes it, so the MQTT entity gets the same id, not `…_2`.
    await fetch(`${ha.url}/api/states/${PROBLEM}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ha.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        state: 'off',
        attributes: { friendly_name: "Add-on's token problem", device_class: 'problem' },
      }),
    });
    const parameter = uniqueParameter();
    const token = addons.secret(await ha.mint(30));
    await putToken(ssm.moto, parameter, token);
    const alexa = uniqueParameter();
    await putToken(ssm.moto, alexa, addons.secret(await ha.mint(30)));
    const addon = await startWithBroker(parameter, {
      consumers: [{ name: 'alexa', ssm_parameter: alexa, rotation_schedule: NEVER }],
    });
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    await waitFor('the MQTT mode logged', () =>
      addon.output.includes('MQTT broker offered by the Supervisor'),
    );
    expect((await addon.get('/')).body).toContain('Entities by MQTT discovery.');

    const entities = await waitFor('the entities registered', async () => {
      const all = (await registry()).filter((e) => e.platform === 'mqtt');
      const ids = all.map((e) => e.entity_id);
      return [...ADDON_ENTITIES, ...CREDENTIAL_ENTITIES, ...CONSUMER_ENTITIES].every((id) =>
        ids.includes(id),
      )
        ? all
        : undefined;
    });
    const byId = new Map(entities.map((e) => [e.entity_id, e]));
    for (const id of [...ADDON_ENTITIES, ...CREDENTIAL_ENTITIES, ...CONSUMER_ENTITIES])
      expect(byId.get(id)?.unique_id, id).toBe(id.slice(id.indexOf('.') + 1));
    expect(entities.map((e) => e.entity_id).filter((id) => /_2$/.test(id))).toEqual([]);
    const all = await devices();
    const device = (identifier: string) =>
      all.find((d) => d.identifiers.some(([domain, id]) => domain === 'mqtt' && id === identifier));
    const whole = device('ha_token_manager');
    const credential = device('ha_token_manager_addon');
    expect(whole).toMatchObject({
      name: 'HA Token Manager',
      manufacturer: 'HA Token Manager',
      sw_version: alerts.supervisor.version,
    });
    expect(credential).toMatchObject({
      name: "Add-on's token",
      manufacturer: 'HA Token Manager',
      sw_version: alerts.supervisor.version,
      via_device_id: whole?.id,
    });
    for (const id of ADDON_ENTITIES) expect(byId.get(id)?.device_id, id).toBe(whole?.id);
    for (const id of CREDENTIAL_ENTITIES) expect(byId.get(id)?.device_id, id).toBe(credential?.id);
    const consumer = device('ha_token_manager_consumer_alexa');
    expect(consumer).toMatchObject({
      name: 'alexa',
      model: 'Consumer token',
      via_device_id: whole?.id,
    });
    for (const id of CONSUMER_ENTITIES) expect(byId.get(id)?.device_id, id).toBe(consumer?.id);
    // One device per credential, none twice.
    const ours = all.filter((d) =>
      d.identifiers.some(([, id]) => id.startsWith('ha_token_manager')),
    );
    expect(ours.map((d) => d.identifiers[0]?.[1]).sort()).toEqual([
      'ha_token_manager',
      'ha_token_manager_addon',
      'ha_token_manager_consumer_alexa',
    ]);
    console.log(
      `[alerts-mqtt] devices: ${JSON.stringify([whole, credential])}\nentities: ${JSON.stringify(entities.filter((e) => e.unique_id.startsWith('ha_token')))}`,
    );

    await waitForEntity(PROBLEM, 'off');
    const healthy = await waitForEntity('sensor.ha_token_manager_addon_state', 'ok');
    expect(healthy?.attributes).toMatchObject({
      token: `••••${token.slice(-4)}`,
      credential: 'addon',
      friendly_name: "Add-on's token State",
    });
    const expires = await state('sensor.ha_token_manager_addon_expires');
    expect(Date.parse(expires?.state ?? '') - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(await state('sensor.ha_token_manager_addon_last_rotated')).toMatchObject({
      state: 'unknown',
    });

    await ha.revoke(token);
    await waitFor(
      'the rejected notification',
      () => alerts.watch.notifications.get(REJECTED_ID),
      10_000,
    );
    const rejected = await waitForEntity(PROBLEM, 'on');
    expect(rejected?.attributes.problems).toEqual(['rejected']);
    await waitForEntity('binary_sensor.ha_token_manager_problem', 'on');
    for (const id of [PROBLEM, 'sensor.ha_token_manager_addon_state'])
      console.log(`[alerts-mqtt] rejected: ${id} = ${JSON.stringify(await state(id))}`);

    const good = addons.secret(await ha.mint(30));
    await putToken(ssm.moto, parameter, good);
    await addon.get('/api/refresh', { method: 'POST' });
    await waitForEntity(PROBLEM, 'off');
    await waitFor('the notification dismissed', () => !alerts.watch.notifications.has(REJECTED_ID));
    expect(statePosts()).toEqual([]);
  });

  test('the add-on killed: its last will makes the entities unavailable; started again: available', async () => {
    const { addon, parameter } = await alerts.startConnected(30);
    await waitForEntity(PROBLEM, 'off');

    await addon.stop('SIGKILL');
    for (const id of [...ADDON_ENTITIES, ...CREDENTIAL_ENTITIES])
      await waitForEntity(id, 'unavailable');

    const again = await startWithBroker(parameter);
    await again.waitForStatus('connected', (s) => s.state === 'connected');
    await waitForEntity(PROBLEM, 'off');
    await waitForEntity('sensor.ha_token_manager_addon_state', 'ok');
    expect(statePosts()).toEqual([]);
  });

  test('Home Assistant restarts: the entities come back from the broker and the notification is posted again', async () => {
    const { addon, token } = await alerts.startConnected(30);
    await waitForEntity(PROBLEM, 'off');
    await ha.revoke(token);
    await waitForEntity(PROBLEM, 'on');
    await waitFor('the rejected notification', () => alerts.watch.notifications.get(REJECTED_ID));

    alerts.watch.close();
    await ha.stop();
    await ha.start();
    const runningAt = Date.now();
    alerts.watch = await HaWatch.open(ha.url, ha.adminToken, []);
    await waitForEntity(PROBLEM, 'on', 20_000);
    console.log(
      `[alerts-mqtt] entities back ${Date.now() - runningAt} ms after Core was RUNNING again`,
    );
    await waitForEntity('sensor.ha_token_manager_state', 'unauthorized');
    await waitFor(
      'the notification back',
      () => alerts.watch.notifications.get(REJECTED_ID),
      20_000,
    );
    // Its birth message, or Core seen away and back (mqtt-watch.ts), whichever comes first.
    expect(addon.output).toMatch(/Home Assistant started again|Home Assistant was away/);
    expect(statePosts()).toEqual([]);
  });

  test('no broker offered: the log says why, and the entities are state-only', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const plain = await SupervisorStandIn.start(ha.url, ha.adminToken);
    addons.secret(plain.addonToken);
    try {
      const parameter = uniqueParameter();
      const token = addons.secret(await ha.mint(30));
      await putToken(ssm.moto, parameter, token);
      const addon = await addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter), {
        env: {
          SUPERVISOR_TOKEN: plain.addonToken,
          SUPERVISOR_URL: plain.url,
          INGRESS_PEER: '127.0.0.1',
          ALERTS_CHECK_MS: '500',
        },
      });
      await addon.waitForStatus('connected', (s) => s.state === 'connected');
      await waitFor('the state-only mode logged', () =>
        addon.output.includes(
          'Entities are posted as state-only entities: no MQTT broker offered by the Supervisor: 400 Service not enabled',
        ),
      );
      expect((await addon.get('/')).body).toContain(
        'Entities are state-only (no MQTT broker offered by the Supervisor: 400 Service not enabled).',
      );
      await waitFor('a state-only post', () =>
        plain.forwarded.some((r) => r.startsWith(`POST /api/states/${PROBLEM} `)),
      );
    } finally {
      addons.record(...plain.forwarded);
      await plain.close();
    }
  });

  test('a broker Home Assistant does not read: one warning saying what to check, offline (nothing removed: it may be read after all), state-only entities', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const other = await Mosquitto.start();
    addons.secret(other.broker.password);
    const elsewhere = await SupervisorStandIn.start(ha.url, ha.adminToken, { mqtt: other.broker });
    addons.secret(elsewhere.addonToken);
    const otherSeen: string[] = [];
    const otherSpy = await mqtt.connectAsync(`mqtt://127.0.0.1:${other.broker.port}`, {
      username: other.broker.username,
      password: other.broker.password,
    });
    otherSpy.on('message', (topic, payload) => otherSeen.push(`${topic} ${payload.toString()}`));
    await otherSpy.subscribeAsync(['homeassistant/#', 'ha_token_manager/#']);
    const config = 'homeassistant/binary_sensor/ha_token_manager/problem/config';
    let addon: Awaited<ReturnType<typeof addons.start>> | undefined;
    try {
      const parameter = uniqueParameter();
      await putToken(ssm.moto, parameter, addons.secret(await ha.mint(30)));
      const started = await addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter), {
        env: {
          SUPERVISOR_TOKEN: elsewhere.addonToken,
          SUPERVISOR_URL: elsewhere.url,
          INGRESS_PEER: '127.0.0.1',
          ALERTS_CHECK_MS: '500',
          MQTT_CONFIRM_MS: '3000',
        },
      });
      addon = started;
      await started.waitForStatus('connected', (s) => s.state === 'connected');
      await waitFor('MQTT chosen: the integration is set up', () =>
        started.output.includes('entities are published by MQTT discovery'),
      );
      await waitFor('our configs on the broker nobody reads', () =>
        otherSeen.some((m) => m.startsWith(`${config} {`)),
      );
      await waitFor(
        'the warning',
        () => started.output.includes('did not show in Home Assistant within 3 s'),
        20_000,
      );
      expect(started.output).toContain(
        "check that Home Assistant's MQTT integration is set up on the broker the Supervisor offers",
      );
      await waitFor('state-only posts', () =>
        elsewhere.forwarded.some((r) =>
          r.startsWith('POST /api/states/binary_sensor.ha_token_manager_problem '),
        ),
      );
      await waitFor('offline on the broker', () =>
        otherSeen.includes('ha_token_manager/availability offline'),
      );
      // An empty config would make a Home Assistant that does read it delete the entities and devices.
      expect(otherSeen.filter((m) => m.endsWith('/config '))).toEqual([]);
      const page = (await started.get('/')).body;
      expect(page).toContain('Entities are state-only (binary_sensor.ha_token_manager_problem did');
      expect(page).not.toContain('Entities by MQTT discovery.');
      expect(started.output.match(/did not show in Home Assistant/g)).toHaveLength(1);
    } finally {
      // Its keep-alive connections would hold the stand-in's close.
      await addon?.stop();
      addons.record(...elsewhere.forwarded, ...otherSeen);
      await otherSpy.endAsync();
      await elsewhere.close();
      await other.stop();
      for (const id of [...ADDON_ENTITIES, ...CREDENTIAL_ENTITIES])
        await fetch(`${ha.url}/api/states/${id}`, {
          method: 'DELETE',
          headers: { Authorization: `Bearer ${ha.adminToken}` },
        });
    }
  }, 90_000);
});
