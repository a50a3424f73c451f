import { describe, expect, test } from 'vitest';
import { BusEventDiff } from '../../src/alerts/bus-events.js';
import { type ConsumerView, credentialView } from '../../src/alerts/credential-view.js';
import { entityStates } from '../../src/alerts/entities.js';
import { desiredNotifications } from '../../src/alerts/notifications.js';
import { ProblemAges } from '../../src/alerts/problem-ages.js';
import { consumerInfos } from '../../src/consumers/report.js';
import { StatusModel, type StatusSnapshot } from '../../src/status/status-model.js';
import { FakeClock } from '../support/fakes.js';

// Consumers' tokens (docs/rotation.md, "Consumers") in the credential view:
// the same notifications, entities and events as the add-on's own token.

const DAY = 86_400_000;
const clock = new FakeClock();
const VIEW = {
  now: clock.now(),
  unreadableAfterMs: 15 * 60_000,
  expiryWarningMs: 14 * DAY,
  unsettledAfterMs: 15 * 60_000,
};

function snapshotWith(...consumers: Partial<ConsumerView>[]): StatusSnapshot {
  const base = new StatusModel(clock).snapshot();
  return {
    ...base,
    consumers: consumers.map((c) => ({
      name: 'alexa',
      parameter: '/consumers/alexa',
      configured: true,
      state: 'ok',
      reason: 'Minted by the add-on.',
      masked: '••••al3x',
      expiresAt: new Date(clock.now() + 300 * DAY).toISOString(),
      ...c,
    })),
  } as StatusSnapshot;
}

const consumer = (s: StatusSnapshot) => credentialView(s, VIEW)[1];

describe('consumers in the credential view', () => {
  test('a consumer token with 10 days left and no rotation planned: the expiry notification', () => {
    const s = snapshotWith({ expiresAt: new Date(clock.now() + 10 * DAY).toISOString() });
    const [n] = desiredNotifications(credentialView(s, VIEW).slice(1), '/hassio/ingress/x');
    expect(n?.id).toBe('ha_token_manager_consumer_alexa_expiring');
    expect(n?.message).toMatch(
      /^The token ••••al3x of alexa expires on .* \(in 10 days\) and no rotation is planned before\. .*SSM parameter \/consumers\/alexa/,
    );
  });

  test('a rotation planned before the expiry: no problem', () => {
    const s = snapshotWith({
      expiresAt: new Date(clock.now() + 10 * DAY).toISOString(),
      nextRotationAt: new Date(clock.now() + 3 * DAY).toISOString(),
    });
    expect(consumer(s)).toMatchObject({ id: 'consumer:alexa', state: 'ok', problems: [] });
  });

  test('a rotation that is overdue is no plan: the expiry problem stays', () => {
    const s = snapshotWith({
      expiresAt: new Date(clock.now() + 10 * DAY).toISOString(),
      nextRotationAt: new Date(clock.now() - DAY).toISOString(),
    });
    expect(consumer(s)?.state).toBe('expiring');
  });

  test('unused for unused_alert_days: the unused problem with the manager’s advice', () => {
    const s = snapshotWith({ state: 'unused', reason: 'Not used for more than 30 days: …' });
    expect(consumer(s)?.problems).toEqual([
      { kind: 'unused', message: 'alexa: Not used for more than 30 days: …' },
    ]);
  });

  test('rejected counts only once it has lasted a minute (the add-on republishes by itself)', () => {
    const ages = new ProblemAges();
    const s = snapshotWith({ state: 'rejected', reason: 'the add-on publishes a new token.' });
    expect(ages.filter(credentialView(s, VIEW), clock.now())[1]?.state).toBe('ok');
    expect(ages.filter(credentialView(s, VIEW), clock.now() + 60_000)[1]?.state).toBe('rejected');
    // Gone and back: the minute starts again.
    ages.filter(credentialView(snapshotWith({}), VIEW), clock.now() + 61_000);
    expect(ages.filter(credentialView(s, VIEW), clock.now() + 62_000)[1]?.state).toBe('ok');
  });

  test('no longer in the options: retired, no problem; entities named after the consumer', () => {
    const s = snapshotWith({ configured: false, state: 'not configured' });
    expect(consumer(s)).toMatchObject({ state: 'retired', problems: [] });
    const ids = entityStates('connected', credentialView(s, VIEW)).map((e) => e.entityId);
    expect(ids).toContain('binary_sensor.ha_token_manager_consumer_alexa_problem');
    expect(ids).toContain('sensor.ha_token_manager_consumer_alexa_last_used');
  });

  test('not checked yet while the add-on is not connected: unknown, and no "Token source unreadable" however long', () => {
    const clock = new FakeClock();
    const status = new StatusModel(clock);
    // What the manager reports before its first refresh (Home Assistant not connected).
    status.updateConsumers(
      consumerInfos({
        consumers: ['a', 'b'].map((name) => ({
          name,
          parameter: `/c/${name}`,
          lifespanDays: 90,
          graceMinutes: 60,
        })),
        removed: [],
        seen: new Map(),
        scheduledAt: () => undefined,
        busy: () => false,
        waitingFor: () => undefined,
        unusedAlertDays: 30,
        now: new Date(clock.now()),
      }),
    );
    status.setState('unauthorized', 'Home Assistant rejected the add-on’s token.');
    const ages = new ProblemAges();
    const view = () =>
      ages.filter(credentialView(status.snapshot(), { ...VIEW, now: clock.now() }), clock.now());
    view();
    clock.advance(60 * 60_000);
    const creds = view();
    expect(creds.slice(1).map((c) => c.state)).toEqual(['unknown', 'unknown']);
    expect(desiredNotifications(creds, '/app/x').filter((n) => n.id.includes('consumer'))).toEqual(
      [],
    );
  });

  test('failing: a source problem only when its parameter could not be read, not when a rotation failed', () => {
    const ages = new Map<StatusSnapshot, ProblemAges>();
    const at = (s: StatusSnapshot, now: number) => {
      if (!ages.has(s)) ages.set(s, new ProblemAges());
      return ages.get(s)?.filter(credentialView(s, { ...VIEW, now }), now)[1];
    };
    const rotation = snapshotWith({ state: 'failing', reason: 'Rotating failed: SSM refused' });
    const ssm = snapshotWith({
      name: 'nas',
      state: 'failing',
      sourceFailing: true,
      reason: 'Could not read the parameters: Access denied.',
    });
    at(rotation, VIEW.now);
    at(ssm, VIEW.now);
    const later = VIEW.now + VIEW.unreadableAfterMs;
    expect(at(rotation, later)?.problems).toEqual([]);
    expect(at(ssm, later)?.problems.map((p) => p.kind)).toEqual(['unreadable']);
  });

  test('no longer in the options with a failed rotation: the advice names Revoke, not Rotate now (it has none)', () => {
    const s = {
      ...snapshotWith({ configured: false, state: 'not configured' }),
      rotation: {
        available: true,
        running: false,
        graceMinutes: 60,
        pending: [],
        problems: [],
        journal: [
          {
            credential: 'consumer:alexa',
            clientName: 'x',
            state: 'rolled-back',
            startedAt: '2026-11-23T11:00:00Z',
            updatedAt: '2026-11-23T11:00:00Z',
            note: 'SSM refused the write',
          },
        ],
      },
    } as StatusSnapshot;
    const message = consumer(s)?.problems[0]?.message ?? '';
    expect(consumer(s)?.state).toBe('rotation-failed');
    expect(message).not.toContain('Rotate now');
    expect(message).toContain('Revoke');
  });

  test('a consumer token turning rejected is a rejected event with the masked token', () => {
    const diff = new BusEventDiff(snapshotWith({}));
    expect(diff.next(snapshotWith({ state: 'rejected' }))).toEqual([
      {
        type: 'ha_token_manager_rejected',
        data: { credential: 'consumer:alexa', name: 'alexa', token: '••••al3x' },
      },
    ]);
    expect(diff.next(snapshotWith({ state: 'rejected' }))).toEqual([]);
  });
});
