import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Alerts, type AlertsOptions } from '../../src/alerts/alerts.js';
import { CoreApi, CoreApiError } from '../../src/alerts/core-api.js';
import { objectId } from '../../src/alerts/entities.js';
import { SwitchingSink } from '../../src/alerts/entity-mode.js';
import { notificationId } from '../../src/alerts/notifications.js';
import { ProblemAges } from '../../src/alerts/problem-ages.js';
import { EntityPublisher } from '../../src/alerts/state-only.js';
import { flushPrivateFiles } from '../../src/files.js';
import { type ConsumerInfo, StatusModel } from '../../src/status/status-model.js';
import { FakeClock, memoryLogger } from '../support/fakes.js';

// The alerts loop (src/alerts/alerts.ts) across a restart of the add-on, a
// refused entity and its own stop, against a recording Core API.

const DAY = 86_400_000;
const VIEW = {
  unreadableAfterMs: 15 * 60_000,
  expiryWarningMs: 14 * DAY,
  unsettledAfterMs: 15 * 60_000,
};
// homeassistant/core.py valid_entity_id.
const VALID_ENTITY_ID = /^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$/;

/** A Core API that records calls and answers like Core: 400 for an entity id it refuses. */
function recordingApi(refuse = (entityId: string) => !VALID_ENTITY_ID.test(entityId)) {
  const calls: string[] = [];
  const states = new Map<string, string>();
  const api = {
    abort: () => undefined,
    callService: async (_domain: string, service: string, data: Record<string, unknown>) => {
      calls.push(`${service} ${String(data.notification_id)}`);
    },
    setState: async (entityId: string, state: string) => {
      if (refuse(entityId)) throw new CoreApiError(`POST /core/api/states/${entityId}: 400`, 400);
      calls.push(`state ${entityId}=${state}`);
      states.set(entityId, state);
    },
    getState: async (entityId: string) =>
      states.has(entityId) ? { state: states.get(entityId) } : undefined,
    removeState: async (entityId: string) => {
      calls.push(`remove ${entityId}`);
      if (!states.delete(entityId)) throw new CoreApiError(`DELETE ${entityId}: 404`, 404);
    },
    fireEvent: async (type: string, data: Record<string, unknown>) => {
      calls.push(`event ${type} ${JSON.stringify(data)}`);
    },
  } as unknown as CoreApi;
  return { api, calls, states };
}

const consumer = (c: Partial<ConsumerInfo>): ConsumerInfo => ({
  name: 'alexa',
  parameter: '/c/alexa',
  configured: true,
  state: 'ok',
  reason: 'ok',
  masked: '••••al3x',
  rotating: false,
  ...c,
});

/** Waits (polling) until the condition holds; fails after 3 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const until = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${condition}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

let running: Alerts | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function setup(extra: Partial<AlertsOptions> = {}, refuse?: (entityId: string) => boolean) {
  const clock = new FakeClock();
  const status = new StatusModel(clock);
  const { api, calls, states } = recordingApi(refuse);
  const { log, lines } = memoryLogger();
  const loaded = deferred();
  const alerts = new Alerts({
    api,
    status,
    clock,
    log,
    notifications: true,
    view: VIEW,
    pageUrl: () => '/app/x',
    debounceMs: 1,
    loaded: loaded.promise,
    ...extra,
  });
  running = alerts;
  return { clock, status, api, calls, states, lines, alerts, loaded };
}

/** As the token manager and the connection report a token Home Assistant rejected before. */
const rejectedToken = (status: StatusModel) => {
  const message = 'SSM parameter /t still holds token ••••bad1, which Home Assistant rejected.';
  status.updateToken({ source: 'ssm', sourceDescription: 'SSM parameter /t', lastError: message });
  status.setState('unauthorized', message);
};

/** Lets the debounced syncs run, then waits for the loop to be idle. */
const settle = async (alerts: Alerts) => {
  await new Promise((r) => setTimeout(r, 20));
  await alerts.sync();
};

describe('a restart of the add-on', () => {
  test('a rotation finished and a consumer rejected before the restart are not announced again once the journal and consumers load', async () => {
    const { status, calls, alerts, loaded } = setup();
    rejectedToken(status);
    alerts.start(); // main.ts: before the credential work loads the journal
    status.updateRotation({ journal: [] });
    status.updateRotation({
      journal: [
        {
          credential: 'addon',
          clientName: 'HA Token Manager 2026-11-01',
          state: 'done',
          startedAt: '2026-11-01T03:00:00Z',
          updatedAt: '2026-11-01T03:20:00Z',
          minted: '••••new2',
          replaced: '••••old1',
        },
      ],
    });
    status.updateConsumers([consumer({ state: 'rejected' })]);
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.startsWith('state')));
    await settle(alerts);
    expect(calls.filter((c) => c.startsWith('event'))).toEqual([]);
    // What happens afterwards is news.
    status.updateConsumers([consumer({ state: 'ok' }), consumer({ name: 'b', state: 'rejected' })]);
    await waitFor(() => calls.some((c) => c.startsWith('event')));
    expect(calls.filter((c) => c.startsWith('event'))).toEqual([
      'event ha_token_manager_rejected {"credential":"consumer:b","name":"b","token":"••••al3x"}',
    ]);
  });

  test('a problem that persists across the restart is neither turned off nor dismissed meanwhile', async () => {
    const { status, calls, alerts, loaded } = setup();
    alerts.start(); // status `starting`: nothing known yet
    await new Promise((r) => setTimeout(r, 20));
    loaded.resolve(); // journal and consumers loaded; the token not read yet
    await new Promise((r) => setTimeout(r, 20));
    rejectedToken(status); // the first read: still the rejected token
    await waitFor(() => calls.some((c) => c.startsWith('create')));
    await settle(alerts);
    const addon = calls.filter((c) => c.includes('addon_problem') || c.includes('addon_rejected'));
    expect(addon).toEqual([
      'state binary_sensor.ha_token_manager_addon_problem=on',
      'create ha_token_manager_addon_rejected',
    ]);
    expect(calls).not.toContain('state binary_sensor.ha_token_manager_problem=off');
  });

  test("a consumer's problem that persists is not posted off while the consumer is not checked yet", async () => {
    const { clock, status, calls, alerts, loaded } = setup();
    status.updateToken({
      source: 'ssm',
      sourceDescription: 'SSM parameter /t',
      masked: '••••good',
    });
    status.setState('connected', 'Connected.');
    // Loaded from the consumers' memory, before the manager's first refresh.
    status.updateConsumers([
      consumer({
        state: 'failing',
        reason: 'Not checked yet: waiting for Home Assistant and SSM.',
      }),
    ]);
    alerts.start();
    loaded.resolve();
    await new Promise((r) => setTimeout(r, 30));
    status.updateConsumers([
      consumer({
        state: 'unused',
        reason: 'Unused for 30 days.',
        checkedAt: new Date(clock.now()).toISOString(),
      }),
    ]);
    await waitFor(() => calls.some((c) => c.startsWith('create')));
    await settle(alerts);
    expect(
      calls.filter((c) =>
        c.startsWith('state binary_sensor.ha_token_manager_consumer_alexa_problem'),
      ),
    ).toEqual(['state binary_sensor.ha_token_manager_consumer_alexa_problem=on']);
  });

  test("a consumer's rejected token that lasts across the restart keeps its age: on at once, not off for the minute's grace", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'htm-ages-'));
    try {
      const connected = (status: StatusModel, at: number) => {
        status.updateToken({
          source: 'ssm',
          sourceDescription: 'SSM parameter /t',
          masked: '••••good',
        });
        status.setState('connected', 'Connected.');
        status.updateConsumers([
          consumer({ state: 'rejected', checkedAt: new Date(at).toISOString() }),
        ]);
      };
      // Before the restart: rejected for longer than the grace, so reported.
      const before = setup({ ages: new ProblemAges(dir) });
      before.alerts.start();
      before.loaded.resolve();
      connected(before.status, before.clock.now());
      await settle(before.alerts);
      before.clock.advance(120_000);
      await before.alerts.sync();
      expect(before.states.get('binary_sensor.ha_token_manager_consumer_alexa_problem')).toBe('on');
      await before.alerts.stop();
      await flushPrivateFiles();

      // After: the same problem, read back with its age.
      const ages = new ProblemAges(dir);
      expect(await ages.load()).toBeUndefined();
      const after = setup({ ages });
      after.clock.advance(180_000);
      connected(after.status, after.clock.now());
      after.alerts.start();
      after.loaded.resolve();
      await waitFor(() => after.calls.some((c) => c.includes('consumer_alexa_problem')));
      await settle(after.alerts);
      expect(after.calls.filter((c) => c.includes('consumer_alexa_problem'))).toEqual([
        'state binary_sensor.ha_token_manager_consumer_alexa_problem=on',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  /**
   * Runs the add-on twice against one Core: before the restart the problem
   * lasts past its grace; the new process's status model starts its times
   * again (degradedSince, a consumer's checkedAt), the problem ages are read back.
   */
  async function acrossRestart(
    dir: string,
    problem: (status: StatusModel, now: number) => void,
    entity: string,
    note: string,
  ) {
    const before = setup({ ages: new ProblemAges(dir) });
    before.alerts.start();
    before.loaded.resolve();
    problem(before.status, before.clock.now());
    await settle(before.alerts);
    expect(before.states.get(entity)).toBe('off'); // within the grace
    before.clock.advance(16 * 60_000);
    await before.alerts.sync();
    expect(before.states.get(entity)).toBe('on');
    expect(before.calls).toContain(`create ${note}`);
    await before.alerts.stop();
    await flushPrivateFiles();

    const ages = new ProblemAges(dir);
    expect(await ages.load()).toBeUndefined();
    const after = setup({ ages });
    after.clock.advance(17 * 60_000); // down for a minute
    problem(after.status, after.clock.now());
    after.alerts.start();
    after.loaded.resolve();
    await waitFor(() => after.calls.some((c) => c.includes(entity)));
    await settle(after.alerts);
    expect(after.calls.filter((c) => c.includes(entity))).toEqual([`state ${entity}=on`]);
    expect(after.calls).not.toContain(`dismiss ${note}`);
    expect(after.calls).toContain(`create ${note}`); // Core's notification, posted again as is
  }

  test("the add-on's source unreadable for longer than its grace (a fallback stands in) stays on across the restart, its notification not dismissed", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'htm-ages-'));
    try {
      await acrossRestart(
        dir,
        (status) => {
          status.updateToken({
            source: 'ssm',
            sourceDescription: 'SSM parameter /t',
            masked: '••••good',
            lastError: 'Access denied reading SSM parameter /t.',
          });
          status.setState('connected', 'Connected.');
          status.setDegraded('On the fallback: Access denied reading SSM parameter /t.');
        },
        'binary_sensor.ha_token_manager_addon_problem',
        notificationId('addon', 'unreadable'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a consumer's parameter unreadable for longer than its grace stays on across the restart, its notification not dismissed", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'htm-ages-'));
    try {
      await acrossRestart(
        dir,
        (status, now) => {
          status.updateToken({
            source: 'ssm',
            sourceDescription: 'SSM parameter /t',
            masked: '••••good',
          });
          status.setState('connected', 'Connected.');
          status.updateConsumers([
            consumer({
              state: 'failing',
              sourceFailing: true,
              reason: 'SSM GetParameters: access denied.',
              checkedAt: new Date(now).toISOString(),
            }),
          ]);
        },
        'binary_sensor.ha_token_manager_consumer_alexa_problem',
        notificationId('consumer:alexa', 'unreadable'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a token not read in time: its problem sensor is unknown, not off', async () => {
    const { calls, alerts, loaded } = setup({ settleMs: 10 });
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.includes('addon_problem')));
    expect(calls).toContain('state binary_sensor.ha_token_manager_addon_problem=unknown');
  });

  test("a consumer's notification from before the restart is dismissed: the first reconcile knows the consumers", async () => {
    const { clock, status, calls, alerts, loaded } = setup();
    alerts.start();
    rejectedToken(status);
    await new Promise((r) => setTimeout(r, 20));
    status.updateConsumers([
      consumer({ expiresAt: new Date(clock.now() + 300 * DAY).toISOString() }),
      consumer({ name: 'old', configured: false, state: 'not configured' }),
    ]);
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.startsWith('dismiss')));
    await settle(alerts);
    expect(calls).toContain(`dismiss ${notificationId('consumer:alexa', 'expiring')}`);
    expect(calls).toContain(`dismiss ${notificationId('consumer:old', 'rejected')}`);
  });
});

describe('the notifications option off', () => {
  test("dismisses every notification of ours once (from while it was on), retired consumers' too; creates none", async () => {
    const { status, calls, alerts, loaded } = setup({ notifications: false });
    rejectedToken(status);
    status.updateConsumers([consumer({ name: 'old', configured: false, state: 'not configured' })]);
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.startsWith('dismiss')));
    await settle(alerts);
    expect(calls).toContain('dismiss ha_token_manager_addon_rejected');
    expect(calls).toContain(`dismiss ${notificationId('consumer:old', 'unused')}`);
    expect(calls.filter((c) => c.startsWith('create'))).toEqual([]);
    calls.length = 0;
    await alerts.sync();
    expect(calls.filter((c) => c.startsWith('dismiss'))).toEqual([]);
  });
});

describe('options that need fixing', () => {
  test('the add-on problem on, its state misconfigured, one notification saying so', async () => {
    const { status, calls, alerts, loaded } = setup();
    status.setState('misconfigured', '1 option needs fixing in the Options tab.');
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.startsWith('create')));
    expect(calls).toContain('state binary_sensor.ha_token_manager_problem=on');
    expect(calls).toContain('state sensor.ha_token_manager_state=misconfigured');
    expect(calls.filter((c) => c.startsWith('create'))).toEqual([
      'create ha_token_manager_misconfigured',
    ]);
  });
});

describe('an entity sink that does not answer', () => {
  test('the notifications do not wait for it: a rejected token is notified while the entities hang', async () => {
    const hanging = {
      viaCoreApi: false,
      publish: () => new Promise<void>(() => undefined),
      forget: () => undefined,
      lost: async () => false,
      stop: async () => undefined,
    };
    const { status, calls, alerts, loaded } = setup({ entities: hanging });
    rejectedToken(status);
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.includes('create ha_token_manager_addon_rejected'));
    running = undefined; // its stop would wait for the sync (bounded by start.ts, not here)
    void alerts.stop();
  });
});

describe('while the way for the entities is not known yet', () => {
  test('no entities are posted (state-only ones would hold the MQTT ids), the notifications go on; state-only once chosen', async () => {
    const sink = new SwitchingSink();
    const { status, calls, alerts, loaded, api } = setup({ entities: sink });
    rejectedToken(status);
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.includes('create ha_token_manager_addon_rejected'));
    await settle(alerts);
    expect(calls.filter((c) => c.startsWith('state '))).toEqual([]);
    sink.use(new EntityPublisher(api, { log: memoryLogger().log }));
    await alerts.sync();
    expect(calls).toContain('state binary_sensor.ha_token_manager_addon_problem=on');
  });
});

describe('entity ids Core refuses or that two consumers would share', () => {
  test('a consumer named alexa_ (allowed by the options): ids Core accepts, nothing posted or created again', async () => {
    const { status, calls, lines, alerts, loaded, states } = setup();
    rejectedToken(status);
    status.updateConsumers([consumer({ name: 'alexa_' })]);
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.startsWith('create')));
    await settle(alerts);
    for (const id of states.keys()) expect(id).toMatch(VALID_ENTITY_ID);
    expect(
      states.has(`binary_sensor.ha_token_manager_${objectId('consumer:alexa_')}_problem`),
    ).toBe(true);
    calls.length = 0;
    await alerts.sync();
    await alerts.sync();
    expect(calls).toEqual([]);
    expect(lines.filter((l) => l.includes('Could not update Home Assistant'))).toEqual([]);
  });

  test('an entity Core refuses (400) is skipped and logged once; no outage: nothing is posted or created again', async () => {
    const refused = 'sensor.ha_token_manager_consumer_alexa_state';
    const { status, calls, lines, alerts, loaded, states } = setup({}, (id) => id === refused);
    rejectedToken(status);
    status.updateConsumers([consumer({})]);
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.startsWith('create')));
    await settle(alerts);
    expect(states.has('sensor.ha_token_manager_consumer_alexa_last_used')).toBe(true);
    calls.length = 0;
    await alerts.sync();
    await alerts.sync();
    expect(calls).toEqual([]);
    expect(lines.filter((l) => l.includes(refused))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('Could not update Home Assistant'))).toEqual([]);
  });

  test('a renamed consumer (alexa-skill, still retired, and alexa_skill): steady entities, nothing posted again', async () => {
    const { status, calls, alerts, loaded, states } = setup();
    rejectedToken(status);
    status.updateConsumers([
      consumer({ name: 'alexa_skill', masked: '••••new1' }),
      consumer({
        name: 'alexa-skill',
        configured: false,
        state: 'not configured',
        masked: '••••old1',
      }),
    ]);
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.startsWith('create')));
    await settle(alerts);
    expect(states.get('sensor.ha_token_manager_consumer_alexa_skill_state')).toBe('ok');
    expect(states.get(`sensor.ha_token_manager_${objectId('consumer:alexa-skill')}_state`)).toBe(
      'retired',
    );
    calls.length = 0;
    await alerts.sync();
    await alerts.sync();
    expect(calls).toEqual([]);
  });
});

describe('a credential that leaves the view', () => {
  test('a retired consumer revoked: its state-only entities are removed from Core, once; the others stay', async () => {
    const { clock, status, calls, states, alerts, loaded } = setup();
    status.updateToken({
      source: 'ssm',
      sourceDescription: 'SSM parameter /t',
      masked: '••••good',
    });
    status.setState('connected', 'Connected.');
    const checkedAt = new Date(clock.now()).toISOString();
    status.updateConsumers([
      consumer({ checkedAt }),
      consumer({ name: 'old', configured: false, state: 'not configured', checkedAt }),
    ]);
    alerts.start();
    loaded.resolve();
    await waitFor(() => states.has('sensor.ha_token_manager_consumer_old_state'));
    await settle(alerts);
    const old = [...states.keys()].filter((id) => id.includes('consumer_old_'));
    expect(old).toHaveLength(5);
    status.updateConsumers([consumer({ checkedAt })]); // Revoke pressed: it leaves the list
    await waitFor(() => !states.has('sensor.ha_token_manager_consumer_old_state'));
    await settle(alerts);
    expect([...states.keys()].filter((id) => id.includes('consumer_old_'))).toEqual([]);
    expect(calls.filter((c) => c.startsWith('remove')).sort()).toEqual(
      old.map((id) => `remove ${id}`).sort(),
    );
    expect(states.get('binary_sensor.ha_token_manager_consumer_alexa_problem')).toBe('off');
    expect(states.get('binary_sensor.ha_token_manager_addon_problem')).toBe('off');
  });
});

describe('stopping', () => {
  test('state-only entities are marked unavailable', async () => {
    const { status, alerts, loaded, states, calls } = setup();
    rejectedToken(status);
    alerts.start();
    loaded.resolve();
    await waitFor(() => calls.some((c) => c.startsWith('create')));
    await alerts.stop();
    expect(states.size).toBeGreaterThan(0);
    for (const [id, state] of states) expect([id, state]).toEqual([id, 'unavailable']);
  });

  test('a Core that does not answer holds the stop for about a second, not its 10 s timeouts', async () => {
    const clock = new FakeClock();
    const status = new StatusModel(clock);
    rejectedToken(status);
    let requests = 0;
    // Never answers; ends only when the request is aborted.
    const hang: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        requests += 1;
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const alerts = new Alerts({
      api: new CoreApi({ supervisorUrl: 'http://127.0.0.1:9', token: 't', fetch: hang }),
      status,
      clock,
      log: memoryLogger().log,
      notifications: true,
      view: VIEW,
      pageUrl: () => '/app/x',
    });
    alerts.start();
    await waitFor(() => requests > 0);
    const started = Date.now();
    await alerts.stop();
    expect(Date.now() - started).toBeLessThan(1800);
  });
});
