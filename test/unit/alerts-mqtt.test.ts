import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Alerts } from '../../src/alerts/alerts.js';
import { type CoreApi, CoreApiError } from '../../src/alerts/core-api.js';
import type { ManagedCredential } from '../../src/alerts/credential-view.js';
import { type EntityState, entityStates } from '../../src/alerts/entities.js';
import { chooseEntityMode, runningComponents } from '../../src/alerts/entity-mode.js';
import { discoveryMessages } from '../../src/alerts/mqtt-discovery.js';
import { MqttEntities } from '../../src/alerts/mqtt-entities.js';
import { lookUpMqtt, type MqttBroker, type MqttLookup } from '../../src/alerts/mqtt-service.js';
import { CoreWatch, findProblemEntity } from '../../src/alerts/mqtt-watch.js';
import { EntityPublisher } from '../../src/alerts/state-only.js';
import { redact } from '../../src/log.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock, memoryLogger } from '../support/fakes.js';
import { Mosquitto } from '../support/mosquitto.js';
import { freePort, waitFor } from '../support/ports.js';

// The MQTT way for the entities: the discovery mapping (pure), the
// Supervisor's answer, and the publisher against Debian's mosquitto (real)
// behind a loopback proxy that can cut the connection on cue.

const addon: ManagedCredential = {
  id: 'addon',
  name: "Add-on's token",
  state: 'ok',
  problems: [],
  masked: '••••x9Qk',
  expiresAt: '2027-01-01T00:00:00.000Z',
};
const consumer: ManagedCredential = {
  id: 'consumer:alexa',
  name: 'alexa',
  state: 'rejected',
  problems: [{ kind: 'rejected', message: 'Rejected; put a new token into SSM.' }],
  masked: '••••AbCd',
};

describe('the discovery mapping', () => {
  test('one retained config per entity with unique id and entity id, a device per credential via the add-on’s device, one state JSON per device', () => {
    const messages = discoveryMessages(entityStates('connected', [addon, consumer]), {
      version: '0.1.0',
    });
    const config = JSON.parse(
      messages.get('homeassistant/binary_sensor/ha_token_manager/consumer_alexa_problem/config') ??
        '{}',
    );
    expect(config).toMatchObject({
      name: 'Problem',
      unique_id: 'ha_token_manager_consumer_alexa_problem',
      default_entity_id: 'binary_sensor.ha_token_manager_consumer_alexa_problem',
      object_id: 'ha_token_manager_consumer_alexa_problem',
      device_class: 'problem',
      state_topic: 'ha_token_manager/consumer_alexa/state',
      value_template: '{{ value_json.problem.state }}',
      payload_on: 'on',
      payload_off: 'off',
      availability_topic: 'ha_token_manager/availability',
      device: {
        identifiers: ['ha_token_manager_consumer_alexa'],
        name: 'alexa',
        manufacturer: 'HA Token Manager',
        model: 'Consumer token',
        sw_version: '0.1.0',
        via_device: 'ha_token_manager',
      },
    });
    const whole = JSON.parse(
      messages.get('homeassistant/sensor/ha_token_manager/state/config') ?? '{}',
    );
    expect(whole.device).toEqual({
      identifiers: ['ha_token_manager'],
      name: 'HA Token Manager',
      manufacturer: 'HA Token Manager',
      model: 'Home Assistant add-on',
      sw_version: '0.1.0',
    });
    const state = JSON.parse(messages.get('ha_token_manager/addon/state') ?? '{}');
    expect(state.problem).toEqual({
      state: 'off',
      attributes: { problems: [], credential: 'addon', token: '••••x9Qk' },
    });
    // Unknown is Home Assistant's `None` (components/mqtt PAYLOAD_NONE), not the text "unknown".
    expect(state.last_rotated.state).toBeNull();
    expect(state.expires.state).toBe('2027-01-01T00:00:00.000Z');
    // 2 + 5 + 5 configs, and 3 state topics.
    expect(messages.size).toBe(15);
  });

  test('odd consumer names give discovery topics and object ids Home Assistant accepts; an unknown problem is None', () => {
    const odd = ['alexa_', 'a_-b', '_x', '-'].map(
      (name): ManagedCredential => ({
        id: `consumer:${name}`,
        name,
        state: 'unknown',
        problems: [],
      }),
    );
    const messages = discoveryMessages(entityStates('connected', odd), {});
    // components/mqtt/discovery.py: <prefix>/<component>/[<node_id>/]<object_id>/config.
    const TOPIC = /^homeassistant\/(binary_sensor|sensor)\/[a-zA-Z0-9_-]+\/[a-zA-Z0-9_-]+\/config$/;
    const configs = [...messages.keys()].filter((t) => t.endsWith('/config'));
    expect(configs).toHaveLength(4 * 5 + 2);
    for (const topic of configs) expect(topic).toMatch(TOPIC);
    const state = JSON.parse(
      messages.get('ha_token_manager/consumer_alexa_a80b10/state') ?? 'null',
    );
    // The template renders null as "None": Home Assistant's binary sensor shows unknown, not off.
    expect(state?.problem.state).toBeNull();
  });

  test('the state-only way reads the same model: same ids, the names it always had', async () => {
    const states = entityStates('connected', [addon]);
    const posted: [string, string, Record<string, unknown>][] = [];
    const api = {
      setState: async (id: string, s: string, attributes: Record<string, unknown>) => {
        posted.push([id, s, attributes]);
      },
    };
    await new EntityPublisher(api as never, { log: memoryLogger().log }).publish(states);
    expect(posted.map(([id]) => id)).toEqual(states.map((s) => s.entityId));
    expect(posted[2]).toEqual([
      'binary_sensor.ha_token_manager_addon_problem',
      'off',
      {
        friendly_name: "Add-on's token problem",
        device_class: 'problem',
        problems: [],
        credential: 'addon',
        token: '••••x9Qk',
      },
    ]);
  });
});

describe("the Supervisor's mqtt service", () => {
  let server: ReturnType<typeof createHttpServer>;
  let url: string;
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      const ok = req.url === '/services/mqtt' && req.headers.authorization === 'Bearer sv-token';
      res
        .writeHead(ok ? answer.status : 401, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(ok ? answer.body : {}));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('200: the broker, its password registered as a secret; 400 and 403: why not; unreachable or 5xx: unknown', async () => {
    answer = {
      status: 200,
      body: {
        result: 'ok',
        data: {
          host: 'core-mosquitto',
          port: 1883,
          ssl: false,
          protocol: '3.1.1',
          username: 'addons',
          password: 'Broker-Password-1234',
          addon: 'core_mosquitto',
        },
      },
    };
    const found = await lookUpMqtt({ supervisorUrl: url, token: 'sv-token' });
    expect(found).toEqual({
      kind: 'broker',
      broker: {
        host: 'core-mosquitto',
        port: 1883,
        ssl: false,
        protocol: '3.1.1',
        username: 'addons',
        password: 'Broker-Password-1234',
      },
    });
    expect(redact('connect with Broker-Password-1234')).not.toContain('Broker-Password-1234');

    answer = { status: 400, body: { result: 'error', message: 'Service not enabled' } };
    expect(await lookUpMqtt({ supervisorUrl: url, token: 'sv-token' })).toEqual({
      kind: 'none',
      reason: '400 Service not enabled',
    });
    answer = { status: 403, body: { result: 'error', message: 'No access to mqtt service!' } };
    expect(await lookUpMqtt({ supervisorUrl: url, token: 'sv-token' })).toEqual({
      kind: 'none',
      reason: '403 No access to mqtt service!',
    });
    // No clear answer: worth asking again (entity-mode.ts), not "none" for good.
    answer = { status: 502, body: {} };
    expect(await lookUpMqtt({ supervisorUrl: url, token: 'sv-token' })).toEqual({
      kind: 'unknown',
      reason: '502',
    });
    expect(await lookUpMqtt({ supervisorUrl: 'http://127.0.0.1:1', token: 'x' })).toEqual({
      kind: 'unknown',
      reason: 'the Supervisor could not be reached',
    });
  });
});

describe('a publish the connection never takes', () => {
  let mosquitto: Mosquitto;
  let proxy: CutProxy;
  beforeAll(async () => {
    mosquitto = await Mosquitto.start();
    proxy = await CutProxy.start(mosquitto.broker.port);
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await mosquitto?.stop();
  });

  /** Consumer states of about 200 kB each: enough that the socket stops taking them. */
  const large = (n: number, tag: string): EntityState[] =>
    Array.from({ length: n }, (_, i) => ({
      entityId: `sensor.ha_token_manager_consumer_c${i}_state`,
      component: 'sensor' as const,
      device: {
        key: `ha_token_manager_consumer_c${i}`,
        name: `c${i}`,
        credential: `consumer:c${i}`,
      },
      label: 'State',
      state: tag,
      attributes: { reason: 'x'.repeat(200_000) },
    }));

  test('a write waiting for the socket to drain when the connection dies fails with it: later publishes and the stop go on', async () => {
    const { log, lines } = memoryLogger();
    const sink = new MqttEntities({
      broker: { ...mosquitto.broker, port: proxy.port, ssl: false, protocol: '3.1.1' },
      log,
      info: {},
      onHomeAssistantStarted: () => undefined,
      reconnectMs: 200,
      // Far beyond the test's waits: the close alone must free the queue.
      publishMs: 60_000,
    });
    await waitFor('connected', () => lines.some((l) => l.includes('Connected')));
    await sink.publish(entityStates('connected', [addon]));
    // The proxy stops reading from the add-on: writes return false and wait for `drain`.
    proxy.stall();
    void sink.publish(large(60, 'a'));
    await waitFor('the socket full', () => proxy.pending() > 0);
    await new Promise((r) => setTimeout(r, 300)); // let mqtt.js fill its buffers (not a condition we can see)
    proxy.cut(); // the connection dies (keepalive timeout, broker restart)
    await waitFor('reconnected', () => lines.some((l) => l.includes('is back')), 15_000);
    const settled = await Promise.race([
      sink.publish(entityStates('connected', [addon])).then(() => 'settled'),
      new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000)),
    ]);
    const stopped = await Promise.race([
      sink.stop().then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('still stopping after 3 s'), 3000)),
    ]);
    expect({ settled, stopped }).toEqual({ settled: 'settled', stopped: 'stopped' });
  }, 60_000);

  test('a broker that stops reading without closing: a publish fails after its bound and the queue moves on', async () => {
    const { log, lines } = memoryLogger();
    const sink = new MqttEntities({
      broker: { ...mosquitto.broker, port: proxy.port, ssl: false, protocol: '3.1.1' },
      log,
      info: {},
      onHomeAssistantStarted: () => undefined,
      reconnectMs: 200,
      publishMs: 500,
    });
    await waitFor('connected', () => lines.some((l) => l.includes('Connected')));
    proxy.stall();
    const settled = await Promise.race([
      sink.publish(large(60, 'b')).then(() => 'settled'),
      new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000)),
    ]);
    expect(settled).toBe('settled');
    expect(lines.join('\n')).toContain('timed out');
    proxy.cut();
    await sink.stop();
  }, 60_000);
});

describe('choosing the way for the entities', () => {
  const broker: MqttLookup = {
    kind: 'broker',
    broker: { host: '127.0.0.1', port: 1883, ssl: false, protocol: '3.1.1' },
  };
  const choose = (lookUps: MqttLookup[], components: (string[] | Error)[]) => {
    const waits: number[] = [];
    const mode = chooseEntityMode({
      lookUp: async () => lookUps.shift() ?? { kind: 'unknown', reason: 'no more answers' },
      components: async () => {
        const next = components.shift() ?? new Error('Core away');
        if (next instanceof Error) throw next;
        return next;
      },
      log: memoryLogger().log,
      backoffMs: [10, 20, 40],
      sleep: async (ms) => void waits.push(ms),
      stopped: () => false,
    });
    return { mode, waits };
  };

  test('a broker offered but no MQTT integration in Home Assistant: state-only, saying why', async () => {
    expect(await choose([broker], [['api', 'http']]).mode).toEqual({
      kind: 'state-only',
      why: 'the MQTT integration is not set up in Home Assistant (a broker is offered)',
    });
    expect(await choose([broker], [['api', 'mqtt']]).mode).toMatchObject({ kind: 'mqtt' });
  });

  test('no clear answer from the Supervisor or Core is asked again with a backoff; a definite 400 is not', async () => {
    const flaky = choose(
      [{ kind: 'unknown', reason: '502' }, broker, broker],
      [new Error('Core away'), ['mqtt']],
    );
    expect(await flaky.mode).toMatchObject({ kind: 'mqtt' });
    expect(flaky.waits).toEqual([10, 20]);
    const none = choose([{ kind: 'none', reason: '400 Service not enabled' }], []);
    expect(await none.mode).toEqual({
      kind: 'state-only',
      why: 'no MQTT broker offered by the Supervisor: 400 Service not enabled',
    });
    expect(none.waits).toEqual([]);
    const never = choose([], []);
    expect(await never.mode).toMatchObject({ kind: 'state-only' });
    expect(never.waits).toEqual([10, 20, 40]);
  });

  test('Core still starting (its components not complete): asked again, not settled on state-only', async () => {
    expect(() => runningComponents({ state: 'STARTING', components: ['api'] })).toThrow(
      'Home Assistant is STARTING',
    );
    expect(runningComponents({ state: 'RUNNING', components: ['api', 'mqtt'] })).toEqual([
      'api',
      'mqtt',
    ]);
    const answers = [
      { state: 'STARTING', components: ['api'] },
      { state: 'RUNNING', components: ['api', 'mqtt'] },
    ];
    const waits: number[] = [];
    const mode = await chooseEntityMode({
      lookUp: async () => broker,
      components: async () => runningComponents(answers.shift() ?? {}),
      log: memoryLogger().log,
      backoffMs: [10, 20, 40],
      sleep: async (ms) => void waits.push(ms),
      stopped: () => false,
    });
    expect(mode).toMatchObject({ kind: 'mqtt' });
    expect(waits).toEqual([10]);
  });
});

describe('what Core shows of the MQTT entities', () => {
  test('once shown: unavailable (the broker away) is no restart; Core away, or the entity restored by the registry, is, once it shows again', async () => {
    let state: unknown = { state: 'off', attributes: {} };
    let up = true;
    const watch = new CoreWatch({
      probe: async () => {
        if (!up) throw new Error('502');
        return state;
      },
      onNotDiscovered: () => undefined,
    });
    expect(await watch.lost()).toBe(false);
    state = { state: 'unavailable', attributes: {} };
    expect(await watch.lost()).toBe(false);
    state = { state: 'off', attributes: {} };
    expect(await watch.lost()).toBe(false);
    up = false;
    await expect(watch.lost()).rejects.toThrow('502');
    up = true;
    state = { state: 'unavailable', attributes: { restored: true } };
    expect(await watch.lost()).toBe(false);
    state = { state: 'off', attributes: {} };
    expect(await watch.lost()).toBe(true);
    expect(await watch.lost()).toBe(false);
    state = { state: 'unavailable', attributes: { restored: true } };
    expect(await watch.lost()).toBe(false);
    state = { state: 'on', attributes: {} };
    expect(await watch.lost()).toBe(true);
  });

  test('one lost answer is no restart (a dismissed notification stays dismissed); Core away for two looks is', async () => {
    let up = true;
    const watch = new CoreWatch({
      probe: async () => {
        if (!up) throw new Error('timeout');
        return { state: 'off', attributes: {} };
      },
      onNotDiscovered: () => undefined,
    });
    expect(await watch.lost()).toBe(false);
    up = false;
    await expect(watch.lost()).rejects.toThrow('timeout');
    up = true;
    expect(await watch.lost()).toBe(false);
    up = false;
    await expect(watch.lost()).rejects.toThrow('timeout');
    await expect(watch.lost()).rejects.toThrow('timeout');
    up = true;
    expect(await watch.lost()).toBe(true);
  });

  test('not shown within the bound after the first configs: told once (the fall-back); shown: never', async () => {
    let now = 0;
    let state: unknown;
    let told = 0;
    const watch = new CoreWatch({
      probe: async () => state,
      onNotDiscovered: () => told++,
      confirmMs: 60_000,
      now: () => now,
    });
    state = { state: 'unavailable' }; // left in the registry, or a stale config on another broker
    await watch.lost(); // nothing sent yet: no time runs
    now = 120_000;
    await watch.lost();
    expect(told).toBe(0);
    watch.sent();
    now += 59_000;
    await watch.lost();
    expect(told).toBe(0);
    now += 1_000;
    await watch.lost();
    await watch.lost();
    expect(told).toBe(1);

    const shown = new CoreWatch({
      probe: async () => ({ state: 'off' }),
      onNotDiscovered: () => told++,
      confirmMs: 0,
    });
    shown.sent();
    expect(await shown.lost()).toBe(false);
    expect(told).toBe(1);
  });

  test('the wait pauses while Core is away or shows only what its registry restored; a renamed entity counts as shown', async () => {
    let now = 0;
    let state: unknown;
    let up = true;
    let told = 0;
    let renamed: string | undefined;
    const probed: string[] = [];
    const watch = new CoreWatch({
      probe: async (id) => {
        probed.push(id);
        if (!up) throw new Error('502');
        return state;
      },
      find: async () => renamed,
      onNotDiscovered: () => told++,
      confirmMs: 60_000,
      now: () => now,
    });
    watch.sent();
    now = 50_000;
    up = false; // Core restarting
    await expect(watch.lost()).rejects.toThrow('502');
    up = true;
    now = 65_000;
    state = { state: 'unavailable', attributes: { restored: true } };
    await watch.lost(); // the registry's placeholder: MQTT not set up yet
    now = 120_000;
    state = undefined;
    await watch.lost();
    expect(told).toBe(0); // 55 s since Core was last seen starting

    // The user renamed the device and its entity ids: our entity is there under another id.
    renamed = 'binary_sensor.token_manager_problem';
    now = 126_000;
    await watch.lost();
    expect(told).toBe(0);
    state = { state: 'off', attributes: { credentials_with_problems: [] } };
    await watch.lost();
    expect(probed.at(-1)).toBe('binary_sensor.token_manager_problem');
    now = 999_000;
    await watch.lost();
    expect(told).toBe(0);
  });

  test('findProblemEntity: our problem sensor under any id, shown; not a placeholder or another integration’s', () => {
    expect(
      findProblemEntity([
        { entity_id: 'binary_sensor.door', state: 'off', attributes: {} },
        {
          entity_id: 'binary_sensor.old_problem',
          state: 'unavailable',
          attributes: { restored: true, credentials_with_problems: [] },
        },
        {
          entity_id: 'binary_sensor.token_manager_problem',
          state: 'on',
          attributes: { credentials_with_problems: ['alexa'] },
        },
      ]),
    ).toBe('binary_sensor.token_manager_problem');
    expect(findProblemEntity([{ entity_id: 'sensor.x', state: '1', attributes: {} }])).toBe(
      undefined,
    );
  });
});

describe('a restart of Home Assistant without a birth message', () => {
  test('Core away, then back showing the entity: the notifications are posted again', async () => {
    const mosquitto = await Mosquitto.start();
    try {
      const notifications = new Set<string>();
      let up = true;
      let entityShown = true;
      const away = () => {
        if (!up) throw new CoreApiError('GET /core/api/states: 502', 502);
      };
      const api = {
        abort: () => undefined,
        callService: async (_d: string, service: string, data: Record<string, unknown>) => {
          away();
          const id = String(data.notification_id);
          if (service === 'create') notifications.add(id);
          else notifications.delete(id);
        },
        getState: async () => {
          away();
          return entityShown ? { state: 'on' } : undefined;
        },
        removeState: async () => away(),
        setState: async () => away(),
        fireEvent: async () => away(),
      } as unknown as CoreApi;
      const clock = new FakeClock();
      const status = new StatusModel(clock);
      status.updateToken({ source: 'ssm', sourceDescription: 'SSM parameter /t', lastError: 'x' });
      status.setState('unauthorized', 'rejected');
      const entities = new MqttEntities({
        broker: { ...mosquitto.broker, ssl: false, protocol: '3.1.1' },
        log: memoryLogger().log,
        info: {},
        onHomeAssistantStarted: (why) => alerts.homeAssistantRestarted(why),
        watch: new CoreWatch({ probe: () => api.getState('x'), onNotDiscovered: () => undefined }),
      });
      const alerts = new Alerts({
        api,
        status,
        clock,
        log: memoryLogger().log,
        notifications: true,
        view: {
          unreadableAfterMs: 60_000,
          expiryWarningMs: 14 * 86_400_000,
          unsettledAfterMs: 900_000,
        },
        pageUrl: () => '/app/x',
        debounceMs: 1,
        checkMs: 20,
        loaded: Promise.resolve(),
        entities,
      });
      alerts.start();
      const id = 'ha_token_manager_addon_rejected';
      await waitFor('notified', () => notifications.has(id));
      // Home Assistant restarts: its API is away, its notifications (in memory) gone, no birth message.
      up = false;
      entityShown = false;
      notifications.clear();
      let ticks = 0;
      const counting = setInterval(() => ticks++, 20);
      await waitFor('a few ticks', () => ticks > 5);
      up = true;
      await waitFor('a few ticks', () => ticks > 10);
      entityShown = true; // MQTT discovery set the entities up again
      await waitFor('notified again', () => notifications.has(id));
      clearInterval(counting);
      await alerts.stop();
    } finally {
      await mosquitto.stop();
    }
  }, 60_000);
});

/** A loopback TCP proxy in front of the broker that can cut every connection, refuse new ones, or stop reading from the client. */
class CutProxy {
  refuse = false;
  stalled = false;
  readonly clients: Socket[] = [];
  refused = 0;
  readonly sockets = new Set<Socket>();
  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}
  static async start(target: number): Promise<CutProxy> {
    let proxy: CutProxy | undefined;
    const server = createServer((client) => {
      if (proxy?.refuse) {
        if (proxy) proxy.refused++;
        return void client.destroy();
      }
      const upstream = connect(target, '127.0.0.1');
      proxy?.clients.push(client);
      for (const s of [client, upstream]) {
        proxy?.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => proxy?.sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
      if (proxy?.stalled) client.pause();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new CutProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }
  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.clients.length = 0;
    this.stalled = false;
  }
  /** Stops reading what the add-on sends (a frozen broker or a partition). */
  stall(): void {
    this.stalled = true;
    for (const c of this.clients) {
      c.unpipe();
      c.pause();
    }
  }
  /** Bytes the add-on sent that the proxy did not read (kernel buffers aside). */
  pending(): number {
    return this.clients.reduce((n, c) => n + c.readableLength, 0);
  }
  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('the MQTT publisher against mosquitto', () => {
  let mosquitto: Mosquitto;
  let proxy: CutProxy;
  let spy: MqttClient;
  /** Every message the spy saw, `topic payload`, retained or not. */
  const seen: string[] = [];
  beforeAll(async () => {
    mosquitto = await Mosquitto.start();
    proxy = await CutProxy.start(mosquitto.broker.port);
    const { host, port, username, password } = mosquitto.broker;
    spy = await mqtt.connectAsync(`mqtt://${host}:${port}`, { username, password });
    spy.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await spy.subscribeAsync(['ha_token_manager/#', 'homeassistant/+/ha_token_manager/+/config']);
  }, 60_000);
  afterAll(async () => {
    await spy?.endAsync();
    await proxy?.close();
    await mosquitto?.stop();
  });

  test('online, configs and states; only changes; a credential gone is removed, also one retained from before; birth re-sends and tells the alerts; an outage is logged once and its end re-sends without telling the alerts; offline on stop', async () => {
    const broker: MqttBroker = {
      ...mosquitto.broker,
      port: proxy.port,
      ssl: false,
      protocol: '3.1.1',
    };
    // A config a previous run left for a consumer that is no longer configured.
    const leftover = 'homeassistant/sensor/ha_token_manager/consumer_old_state/config';
    await spy.publishAsync(leftover, '{"name":"State"}', { retain: true });
    const { log, lines } = memoryLogger();
    let births = 0;
    const sink = new MqttEntities({
      broker,
      log,
      info: { version: '0.1.0' },
      onHomeAssistantStarted: (why) => {
        births++;
        lines.push(`resync: ${why}`);
      },
      reconnectMs: 200,
    });
    const count = (topic: string) => seen.filter((m) => m.startsWith(`${topic} `)).length;
    const consumerConfig =
      'homeassistant/binary_sensor/ha_token_manager/consumer_alexa_problem/config';
    await waitFor('online', () => seen.includes('ha_token_manager/availability online'));

    await sink.publish(entityStates('connected', [addon, consumer]));
    await waitFor('the consumer config', () => count(consumerConfig) === 1);
    await waitFor('the leftover removed', () => seen.includes(`${leftover} `));
    await sink.publish(entityStates('connected', [addon, consumer]));
    await sink.settled();

    await sink.publish(entityStates('connected', [addon]));
    await waitFor('the consumer removed', () => seen.includes(`${consumerConfig} `));
    // Nothing unchanged was sent twice.
    expect(count('homeassistant/sensor/ha_token_manager/addon_state/config')).toBe(1);
    expect(count(consumerConfig)).toBe(2);

    await spy.publishAsync('homeassistant/status', 'online');
    await waitFor('the birth handled', () => births === 1);
    await waitFor(
      'configs again',
      () => count('homeassistant/sensor/ha_token_manager/addon_state/config') === 2,
    );

    proxy.refuse = true;
    proxy.cut();
    await waitFor('the outage logged', () => lines.some((l) => l.includes('not connected')));
    await sink.publish(entityStates('unauthorized', [addon])); // waits here, does not block
    const refused = proxy.refused;
    await waitFor('three more attempts', () => proxy.refused >= refused + 3);
    proxy.refuse = false;
    await waitFor('back', () => lines.some((l) => l.includes('is back')));
    await waitFor('the newest state sent', () =>
      seen.some((m) => m.startsWith('ha_token_manager/state ') && m.includes('"unauthorized"')),
    );
    expect(lines.filter((l) => l.includes('not connected'))).toHaveLength(1);
    // A reconnect alone is no restart of Home Assistant: its notifications
    // (a dismissed one too) are left as they are (mqtt-watch.ts looks at Core).
    expect(births).toBe(1);

    await sink.stop();
    await waitFor('offline', () => seen.at(-1) === 'ha_token_manager/availability offline');
    expect(lines.join('\n')).not.toContain(mosquitto.broker.password);
  });

  test('a broker never reached: the time for Home Assistant to show the entities runs from the first ask, so the fall-back comes', async () => {
    const { log } = memoryLogger();
    let now = 0;
    let told = 0;
    const watch = new CoreWatch({
      probe: async () => undefined,
      onNotDiscovered: () => told++,
      confirmMs: 60_000,
      now: () => now,
    });
    const sink = new MqttEntities({
      broker: { host: '127.0.0.1', port: await freePort(), ssl: false, protocol: '3.1.1' },
      log,
      info: {},
      onHomeAssistantStarted: () => undefined,
      reconnectMs: 100,
      watch,
    });
    try {
      void sink.publish(entityStates('connected', [addon]));
      now = 61_000;
      await sink.lost();
      expect(told).toBe(1);
    } finally {
      await sink.stop();
    }
  });

  test('retired (the fall-back to state-only): offline, and nothing removed — Home Assistant may read this broker after all (a renamed entity)', async () => {
    const { log } = memoryLogger();
    const sink = new MqttEntities({
      broker: { ...mosquitto.broker, ssl: false, protocol: '3.1.1' },
      log,
      info: {},
      onHomeAssistantStarted: () => undefined,
    });
    const config = 'homeassistant/binary_sensor/ha_token_manager/consumer_alexa_problem/config';
    const from = seen.length;
    await sink.publish(entityStates('connected', [addon, consumer]));
    await waitFor('sent', () => seen.slice(from).some((m) => m.startsWith(`${config} {`)));
    await sink.stop(); // what the fall-back does (start.ts)
    await waitFor('offline', () =>
      seen.slice(from).includes('ha_token_manager/availability offline'),
    );
    // An empty config would make Home Assistant delete the entity and its device.
    expect(seen.slice(from).filter((m) => m.endsWith('/config '))).toEqual([]);
    expect(seen.slice(from)).not.toContain('ha_token_manager/consumer_alexa/state ');
  });

  test('a password the broker refuses (Mosquitto reinstalled): the Supervisor is asked again and its new one used', async () => {
    const { log, lines } = memoryLogger();
    let asked = 0;
    const sink = new MqttEntities({
      broker: { ...mosquitto.broker, password: 'stale-password', ssl: false, protocol: '3.1.1' },
      log,
      info: {},
      onHomeAssistantStarted: () => undefined,
      reconnectMs: 100,
      askBroker: async () => {
        asked++;
        return { ...mosquitto.broker, ssl: false, protocol: '3.1.1' };
      },
    });
    await waitFor('connected with the new password', () =>
      lines.some((l) => l.includes('Connected to the MQTT broker') || l.includes('is back')),
    );
    expect(asked).toBe(1);
    await sink.stop();
  });

  test("options that need fixing (only the add-on's token known) leave other credentials' retained configs alone; complete ones remove them", async () => {
    const kept = 'homeassistant/sensor/ha_token_manager/consumer_kept_state/config';
    await spy.publishAsync(kept, '{"name":"State"}', { retain: true });
    const { log } = memoryLogger();
    const sink = new MqttEntities({
      broker: { ...mosquitto.broker, ssl: false, protocol: '3.1.1' },
      log,
      info: {},
      onHomeAssistantStarted: () => undefined,
    });
    const addonConfig = 'homeassistant/binary_sensor/ha_token_manager/addon_problem/config';
    const before = seen.filter((m) => m.startsWith(`${addonConfig} {`)).length;
    await sink.publish(entityStates('misconfigured', [addon]), false);
    // The broker sent the retained configs (on subscribing) before it took ours.
    await waitFor(
      'ours sent',
      () => seen.filter((m) => m.startsWith(`${addonConfig} {`)).length > before,
    );
    await sink.publish(entityStates('misconfigured', [addon]), false);
    await sink.settled();
    expect(seen).not.toContain(`${kept} `);
    await sink.publish(entityStates('connected', [addon]), true);
    await waitFor('removed once complete', () => seen.includes(`${kept} `));
    await sink.stop();
  });
});
