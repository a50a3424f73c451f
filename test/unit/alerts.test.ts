import { describe, expect, test } from 'vitest';
import { BusEventDiff } from '../../src/alerts/bus-events.js';
import { type CoreApi, CoreApiError } from '../../src/alerts/core-api.js';
import {
  credentialView,
  PROBLEM_KINDS,
  type ViewOptions,
} from '../../src/alerts/credential-view.js';
import { entityStates, objectId } from '../../src/alerts/entities.js';
import { desiredNotifications, Notifier, notificationId } from '../../src/alerts/notifications.js';
import { PanelLink } from '../../src/alerts/panel-link.js';
import { ProblemAges } from '../../src/alerts/problem-ages.js';
import { panelPath } from '../../src/alerts/start.js';
import { EntityPublisher } from '../../src/alerts/state-only.js';
import { TokenRejectedError } from '../../src/errors.js';
import { rotationInfo } from '../../src/rotation/report.js';
import { StatusModel } from '../../src/status/status-model.js';
import { Token } from '../../src/tokens/token.js';
import { TokenManager } from '../../src/tokens/token-manager.js';
import { FakeClock, jwt, memoryLogger, ScriptedSource } from '../support/fakes.js';

const DAY = 86_400_000;

function setup() {
  const clock = new FakeClock();
  const status = new StatusModel(clock);
  const view = (extra: Partial<ViewOptions> = {}) =>
    credentialView(status.snapshot(), {
      now: clock.now(),
      unreadableAfterMs: 15 * 60_000,
      expiryWarningMs: 14 * DAY,
      unsettledAfterMs: 15 * 60_000,
      ...extra,
    });
  const connected = (expiresInDays = 100) => {
    status.updateToken({
      source: 'ssm',
      sourceDescription: 'SSM parameter /ha/token',
      masked: '••••x9Qk',
      expiresAt: new Date(clock.now() + expiresInDays * DAY).toISOString(),
    });
    status.updateConnection({
      url: 'http://ha',
      connected: true,
      connectedSince: new Date(clock.now()).toISOString(),
    });
    status.setState('connected', 'Connected.');
  };
  return { clock, status, view, connected };
}

/** A CoreApi that records calls instead of making them. */
function recordingApi() {
  const calls: string[] = [];
  const api = {
    callService: async (domain: string, service: string, data: Record<string, unknown>) => {
      calls.push(`${domain}.${service} ${String(data.notification_id)}`);
    },
    setState: async (entityId: string, state: string) => {
      calls.push(`state ${entityId}=${state}`);
    },
  } as unknown as CoreApi;
  return { api, calls };
}

describe('the credential view', () => {
  test('healthy: state ok, no problems, masked token, expiry, last use', () => {
    const { view, connected } = setup();
    connected();
    const [addon] = view();
    expect(addon).toMatchObject({ id: 'addon', state: 'ok', problems: [], masked: '••••x9Qk' });
    expect(addon?.expiresAt).toBeDefined();
    expect(addon?.lastUsedAt).toBeDefined();
  });

  test('rejected and the source still holds it: a rejected problem naming the source, not the token', () => {
    const { view, connected, status } = setup();
    connected();
    status.setState('unauthorized', 'Home Assistant rejected the token.');
    const [addon] = view();
    expect(addon?.state).toBe('rejected');
    expect(addon?.problems[0]?.message).toContain('SSM parameter /ha/token still holds it');
  });

  test('rejected stays a problem while the add-on reconnects, until a new token is adopted', () => {
    const { view, connected, status } = setup();
    connected();
    status.patchToken({
      lastError: 'Rejected by Home Assistant: auth_invalid',
      sourceHoldsRejected: '••••x9Qk',
    });
    status.setState('unauthorized', 'rejected');
    status.setState('connecting', 'Connecting.');
    expect(view()[0]?.state).toBe('rejected');
    status.updateToken({
      source: 'ssm',
      sourceDescription: 'SSM parameter /ha/token',
      masked: '••••n3w1',
      lastError: undefined,
      sourceHoldsRejected: undefined,
    });
    expect(view()[0]?.state).not.toBe('rejected');
  });

  test('SSM holds a token Home Assistant rejected while the access_token option stands in: rejected at once, never unreadable', async () => {
    const clock = new FakeClock();
    const status = new StatusModel(clock);
    const source = new ScriptedSource();
    source.value = jwt({ iss: 'ssm' });
    const bad = new Set<string>();
    const tokens = new TokenManager({
      source,
      status,
      log: memoryLogger().log,
      clock,
      ttlMs: 60_000,
      minReadIntervalMs: 0,
      fallback: Token.parse(jwt({ iss: 'fallback' }), 'the access_token option'),
      check: async (t) => {
        if (bad.has(t.reveal())) throw new TokenRejectedError('401');
      },
    });
    const inSsm = await tokens.current();
    status.setState('connected', 'Connected.');
    // The token in SSM is revoked: the socket says auth_invalid, SSM still holds it.
    bad.add(inSsm.reveal());
    tokens.reject(inSsm, 'WebSocket auth_invalid');
    status.setState('connecting', 'Reconnecting.');
    await tokens.current();
    status.setState('connected', 'Connected.');
    expect(status.snapshot().state).toBe('degraded');
    const view = () =>
      credentialView(status.snapshot(), {
        now: clock.now(),
        unreadableAfterMs: 15 * 60_000,
        expiryWarningMs: 14 * DAY,
        unsettledAfterMs: 15 * 60_000,
      })[0];
    expect(view()?.problems.map((p) => p.kind)).toEqual(['rejected']);
    expect(view()?.problems[0]?.message).toContain(
      `token ${inSsm.masked}, and the test source still holds it`,
    );
    clock.advance(15 * 60_000);
    expect(view()?.problems.map((p) => p.kind)).toEqual(['rejected']);
    // A good token in SSM: adopted at the next read, the problem is gone.
    source.value = jwt({ iss: 'ssm2' });
    await tokens.load();
    expect(view()?.state).toBe('ok');
  });

  test('the source unreadable: a problem only after the grace of a few refresh runs, its age kept by the problem ages', () => {
    const { view, connected, status, clock } = setup();
    const ages = new ProblemAges();
    const counted = () => ages.filter(view(), clock.now())[0];
    connected();
    status.patchToken({ lastError: 'Access denied reading SSM parameter /ha/token' });
    status.setDegraded('Access denied. Using the last-known-good token.');
    // The view says it at once, with its grace; the message says since when.
    expect(view()[0]?.problems[0]).toMatchObject({ kind: 'unreadable', graceMs: 15 * 60_000 });
    expect(view()[0]?.problems[0]?.message).toContain(
      `could not be read since ${status.snapshot().degradedSince}`,
    );
    expect(counted()?.problems).toEqual([]);
    clock.advance(15 * 60_000);
    expect(counted()?.problems.map((p) => p.kind)).toEqual(['unreadable']);
    status.patchToken({ lastError: undefined });
    status.setDegraded(undefined);
    expect(counted()?.state).toBe('ok');
  });

  test('expiring within 14 days: a problem unless a rotation runs before the expiry', () => {
    const { view, connected, status, clock } = setup();
    connected(10);
    expect(view()[0]?.problems[0]?.message).toMatch(/expires on .* \(in 10 days\) and no rotation/);
    status.updateSchedule({
      name: 'rotation',
      expression: '0 3 * * 0',
      nextRunAt: new Date(clock.now() + 3 * DAY).toISOString(),
    });
    expect(view()[0]?.state).toBe('ok');
  });

  test('a rotation that failed while an earlier one was in its grace period stays a problem when the earlier one settles', () => {
    const { view, connected, status } = setup();
    connected();
    const A = {
      credential: 'addon',
      clientName: 'A',
      startedAt: '2026-11-23T10:00:00Z',
      minted: '••••newA',
      replaced: '••••old0',
    };
    const B = {
      credential: 'addon',
      clientName: 'B',
      state: 'rolled-back',
      startedAt: '2026-11-23T11:00:00Z',
      updatedAt: '2026-11-23T11:01:00Z',
      note: 'SSM refused the write',
    };
    status.updateRotation({
      journal: [{ ...A, state: 'revoking', updatedAt: '2026-11-23T10:05:00Z' }, B],
    });
    expect(view()[0]?.state).toBe('rotation-failed');
    // A's grace ends: it is written last, and is `done`.
    status.updateRotation({
      journal: [B, { ...A, state: 'done', updatedAt: '2026-11-23T12:00:00Z' }],
    });
    expect(view()[0]).toMatchObject({
      state: 'rotation-failed',
      lastRotatedAt: '2026-11-23T10:00:00Z',
    });
    expect(view()[0]?.problems[0]?.message).toContain('The last rotation (2026-11-23T11:00:00Z)');
  });

  test('last used never goes back while the add-on is disconnected', () => {
    const { view, connected, status, clock } = setup();
    status.updateToken({
      source: 'ssm',
      sourceDescription: 'SSM parameter /ha/token',
      validatedAt: new Date(clock.now()).toISOString(),
    });
    clock.advance(60 * 60_000);
    connected();
    status.updateConnection({
      url: 'http://ha',
      connected: true,
      lastAuthenticatedAt: new Date(clock.now()).toISOString(),
    });
    const used = view()[0]?.lastUsedAt;
    expect(used).toBe(new Date(clock.now()).toISOString());
    clock.advance(60_000);
    status.updateConnection({ url: 'http://ha', connected: false, connectedSince: undefined });
    status.setState('disconnected', 'Lost the connection.');
    expect(view()[0]?.lastUsedAt).toBe(used);
  });

  test('a rolled-back rotation is a problem until a later rotation succeeds', () => {
    const { view, connected, status } = setup();
    connected();
    const record = (clientName: string, state: string) => ({
      credential: 'addon',
      clientName,
      state,
      startedAt: '2026-11-23T11:00:00Z',
      updatedAt: '2026-11-23T11:00:00Z',
      note: 'SSM refused the write',
    });
    status.updateRotation({ journal: [record('a', 'rolled-back')] });
    expect(view()[0]?.state).toBe('rotation-failed');
    status.updateRotation({ journal: [record('b', 'done')] });
    expect(view()[0]).toMatchObject({ state: 'ok', lastRotatedAt: '2026-11-23T11:00:00Z' });
  });
});

describe('notifications', () => {
  test('one create per problem; unchanged is not sent again; dismissed when the problem is gone', async () => {
    const { view, connected, status } = setup();
    const { api, calls } = recordingApi();
    const notifier = new Notifier(api);
    connected();
    const sync = () =>
      notifier.reconcile(desiredNotifications(view(), '/hassio/ingress/x'), view());
    await sync();
    // At start, every id a credential could have is dismissed (left over from before a restart),
    // and the add-on's "options need fixing".
    expect(calls.filter((c) => c.includes('dismiss'))).toHaveLength(6);
    calls.length = 0;
    status.setState('unauthorized', 'rejected');
    await sync();
    await sync();
    await sync();
    expect(calls).toEqual(['persistent_notification.create ha_token_manager_addon_rejected']);
    calls.length = 0;
    status.setState('connected', 'Connected.');
    await sync();
    await sync();
    expect(calls).toEqual(['persistent_notification.dismiss ha_token_manager_addon_rejected']);
  });

  test('a credential that appears after the start (a consumer) has its leftover notifications dismissed once', async () => {
    const { api, calls } = recordingApi();
    const notifier = new Notifier(api);
    const addon = { id: 'addon', name: 'a', state: 'ok' as const, problems: [] };
    const alexa = { id: 'consumer:alexa', name: 'alexa', state: 'ok' as const, problems: [] };
    await notifier.reconcile([], [addon]);
    calls.length = 0;
    await notifier.reconcile([], [addon, alexa]);
    expect(calls).toContain(
      'persistent_notification.dismiss ha_token_manager_consumer_alexa_expiring',
    );
    expect(calls.filter((c) => c.includes('dismiss'))).toHaveLength(5);
    expect(calls.some((c) => c.includes('_addon_'))).toBe(false);
    calls.length = 0;
    await notifier.reconcile([], [addon, alexa]);
    expect(calls).toEqual([]);
  });

  test('the message links to the add-on page', () => {
    const { view, connected, status } = setup();
    connected();
    status.setState('unauthorized', 'rejected');
    const [n] = desiredNotifications(view(), '/hassio/ingress/local_ha_token_manager');
    expect(n?.message).toMatch(
      /\[Open HA Token Manager\]\(\/hassio\/ingress\/local_ha_token_manager\)$/,
    );
  });
});

describe('entities', () => {
  test('a problem sensor, state and three timestamps per credential, plus two for the add-on', async () => {
    const { view, connected, status } = setup();
    connected();
    const states = entityStates(status.snapshot().state, view());
    expect(states.map((s) => s.entityId)).toEqual([
      'binary_sensor.ha_token_manager_problem',
      'sensor.ha_token_manager_state',
      'binary_sensor.ha_token_manager_addon_problem',
      'sensor.ha_token_manager_addon_state',
      'sensor.ha_token_manager_addon_expires',
      'sensor.ha_token_manager_addon_last_used',
      'sensor.ha_token_manager_addon_last_rotated',
    ]);
    expect(states.find((s) => s.entityId.endsWith('addon_last_rotated'))?.state).toBe('unknown');
    const { api, calls } = recordingApi();
    const publisher = new EntityPublisher(api, { log: memoryLogger().log });
    await publisher.publish(states);
    await publisher.publish(states);
    expect(calls).toHaveLength(7);
    publisher.forget();
    await publisher.publish(states);
    expect(calls).toHaveLength(14);
  });
});

describe('entity ids', () => {
  // homeassistant/core.py valid_entity_id; POST /api/states answers 400 for anything else.
  const VALID_ENTITY_ID = /^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$/;
  const idsOf = (...names: string[]) =>
    entityStates(
      'connected',
      names.map((name) => ({ id: `consumer:${name}`, name, state: 'ok', problems: [] })),
    ).map((e) => e.entityId);

  test('every consumer name the options allow gives entity and notification ids Home Assistant accepts', () => {
    const names = ['alexa_', 'alexa-', 'a_-b', '_x', '-', '_', 'a__b', '--a--', 'x'.repeat(64)];
    for (const id of idsOf(...names)) expect(id).toMatch(VALID_ENTITY_ID);
    for (const name of names)
      for (const kind of PROBLEM_KINDS)
        expect(`persistent_notification.${notificationId(`consumer:${name}`, kind)}`).toMatch(
          VALID_ENTITY_ID,
        );
  });

  test('names differing only in - and _ (a renamed consumer) never share an id; ordinary names keep theirs', () => {
    const names = ['x-y', 'x_y', '-x', 'x', 'alexa-skill', 'alexa_skill', 'x_y_', 'ab_123abc'];
    const ids = idsOf(...names);
    expect(new Set(ids).size).toBe(ids.length);
    const notifications = names.map((n) => notificationId(`consumer:${n}`, 'rejected'));
    expect(new Set(notifications).size).toBe(names.length);
    // Ordinary names: the id they always had.
    expect(objectId('consumer:alexa_skill')).toBe('consumer_alexa_skill');
    expect(objectId('consumer:alexa')).toBe('consumer_alexa');
    expect(objectId('addon')).toBe('addon');
    // Others: the slug plus a stable hash of the name.
    expect(objectId('consumer:alexa-skill')).toMatch(/^consumer_alexa_skill_[0-9a-f]{6}$/);
    expect(objectId('consumer:alexa-skill')).toBe(objectId('consumer:alexa-skill'));
  });
});

describe('bus events', () => {
  test('issued, rotated and revoked from the journal; rejected from the event line; nothing from before', () => {
    const { status } = setup();
    const rejected = (masked: string) =>
      status.event('error', 'token', `Home Assistant rejected token ${masked}: revoked`, {
        kind: 'rejected',
        credential: 'addon',
        token: masked,
      });
    rejected('••••old1');
    const diff = new BusEventDiff(status.snapshot());
    const base = {
      credential: 'addon',
      clientName: 'HA Token Manager 1',
      startedAt: 't',
      updatedAt: 't',
      replaced: '••••old1',
    };
    status.updateRotation({ journal: [{ ...base, state: 'minted', minted: '••••new2' }] });
    expect(diff.next(status.snapshot()).map((e) => e.type)).toEqual(['ha_token_manager_issued']);
    status.updateRotation({ journal: [{ ...base, state: 'revoking', minted: '••••new2' }] });
    expect(diff.next(status.snapshot())).toEqual([
      {
        type: 'ha_token_manager_rotated',
        data: {
          credential: 'addon',
          name: "Add-on's token",
          token: '••••new2',
          replaced: '••••old1',
        },
      },
    ]);
    status.updateRotation({
      journal: [{ ...base, state: 'done', minted: '••••new2', revoked: '••••old1' }],
    });
    expect(diff.next(status.snapshot())).toEqual([
      {
        type: 'ha_token_manager_revoked',
        data: { credential: 'addon', name: "Add-on's token", token: '••••old1' },
      },
    ]);
    rejected('••••new2');
    expect(diff.next(status.snapshot())).toEqual([
      {
        type: 'ha_token_manager_rejected',
        data: { credential: 'addon', name: "Add-on's token", token: '••••new2' },
      },
    ]);
    expect(diff.next(status.snapshot())).toEqual([]);
  });

  test('a replaced token of another user that the rotation did not revoke sends no revoked event', () => {
    const { status } = setup();
    const base = {
      credential: 'addon',
      clientName: 'c1',
      startedAt: 't',
      updatedAt: 't',
      minted: '••••new2',
      replaced: '••••frgn',
    };
    status.updateRotation({ journal: [{ ...base, state: 'revoking' }] });
    const diff = new BusEventDiff(status.snapshot());
    // recovery.ts: `done` with "not revoked", as rotationInfo reports it (no `revoked`).
    const record = rotationInfo({
      available: true,
      unavailableReason: undefined,
      graceMinutes: 60,
      running: false,
      step: undefined,
      waiting: new Map(),
      inUse: undefined,
      problems: [],
      records: [
        {
          ...base,
          minted: { refreshTokenId: 'n', masked: '••••new2' },
          replaced: { refreshTokenId: 'f', masked: '••••frgn', foreign: true },
          state: { kind: 'done' },
          note: 'The replaced token ••••frgn belongs to another Home Assistant user: not revoked.',
        },
      ],
    });
    status.updateRotation({ journal: record.journal });
    expect(diff.next(status.snapshot()).map((e) => e.type)).not.toContain(
      'ha_token_manager_revoked',
    );
  });
});

describe('the link to the add-on page', () => {
  test('/app/<slug> from 2026.2 (add-ons became apps), /hassio/ingress/<slug> before or when unknown', () => {
    expect(panelPath('local_x', '2026.11.0')).toBe('/app/local_x');
    expect(panelPath('local_x', '2026.2.0')).toBe('/app/local_x');
    expect(panelPath('local_x', '2027.1.0')).toBe('/app/local_x');
    expect(panelPath('local_x', '2026.1.3')).toBe('/hassio/ingress/local_x');
    expect(panelPath('local_x', '2024.3.3')).toBe('/hassio/ingress/local_x');
    expect(panelPath('local_x', undefined)).toBe('/hassio/ingress/local_x');
  });

  test('Core unreachable when the add-on started: the version is asked again at the next link until known, then the links use /app', async () => {
    let asked = 0;
    let answer: () => Promise<string | undefined> = async () => {
      throw new CoreApiError('GET /core/api/config: 502', 502);
    };
    const link = new PanelLink(() => {
      asked += 1;
      return answer();
    });
    const answered = () => new Promise((r) => setTimeout(r, 0));
    await link.ask(); // at start: Core down
    expect(link.url('local_x')).toBe('/hassio/ingress/local_x'); // and asks again
    expect(link.url('local_x')).toBe('/hassio/ingress/local_x'); // one question at a time
    await answered();
    expect(asked).toBe(2);
    answer = async () => '2026.11.0'; // Core is back
    expect(link.url('local_x')).toBe('/hassio/ingress/local_x'); // the next sync's link asks
    await answered();
    expect(link.url('local_x')).toBe('/app/local_x');
    expect(asked).toBe(3); // known: not asked again
  });
});
