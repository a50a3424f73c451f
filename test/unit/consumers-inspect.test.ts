import { describe, expect, test } from 'vitest';
import { judge, stateOf, usageOf } from '../../src/consumers/inspect.js';
import type { ConsumerConfig } from '../../src/options.js';
import { Token } from '../../src/tokens/token.js';
import { jwt } from '../support/fakes.js';

const now = new Date('2026-06-01T00:00:00Z');
const consumer: ConsumerConfig = {
  name: 'alexa',
  parameter: '/c/alexa',
  lifespanDays: 90,
  graceMinutes: 15,
};
const tokenFor = (iss: string, iatDays = -1, expDays = 89) =>
  jwt({
    iss,
    iat: now.getTime() / 1000 + iatDays * 86400,
    exp: now.getTime() / 1000 + expDays * 86400,
  });
const remembered = { parameter: '/c/alexa', addresses: [], revoked: [] as string[] };

describe('judge', () => {
  test('missing, malformed, minted, adopted, foreign, known revoked, unknown', () => {
    const mine = tokenFor('r1');
    const list = [
      {
        id: 'r1',
        client_name: 'HA Token Manager: alexa 2026-05-31T00:00:00.000Z',
        type: 'long_lived_access_token',
      },
      { id: 'r2', client_name: 'my laptop', type: 'long_lived_access_token' },
    ];
    expect(judge(consumer, 'missing', list, remembered, new Set(), now).kind).toBe('missing');
    expect(judge(consumer, { value: 'nope' }, list, remembered, new Set(), now).kind).toBe(
      'malformed',
    );
    expect(judge(consumer, { value: mine }, list, remembered, new Set(), now)).toMatchObject({
      kind: 'valid',
      origin: 'minted',
    });
    expect(
      judge(consumer, { value: tokenFor('r2') }, list, remembered, new Set(), now),
    ).toMatchObject({ kind: 'valid', origin: 'adopted' });
    // Another consumer's name is not this consumer's: "alexa" must not claim "alexa2".
    const other = [
      {
        id: 'r3',
        client_name: 'HA Token Manager: alexa2 2026-05-31',
        type: 'long_lived_access_token',
      },
    ];
    expect(
      judge(consumer, { value: tokenFor('r3') }, other, remembered, new Set(), now),
    ).toMatchObject({ origin: 'adopted' });
    const stranger = tokenFor('r9');
    expect(judge(consumer, { value: stranger }, list, remembered, new Set(), now).kind).toBe(
      'unknown',
    );
    const fp = Token.parse(stranger, 'x', now).fingerprint;
    expect(
      judge(consumer, { value: stranger }, list, remembered, new Set([fp]), now),
    ).toMatchObject({ kind: 'valid', origin: 'foreign' });
    expect(
      judge(consumer, { value: stranger }, list, { ...remembered, revoked: ['r9'] }, new Set(), now)
        .kind,
    ).toBe('rejected');
    expect(
      judge(consumer, { value: tokenFor('r1', -100, -1) }, list, remembered, new Set(), now).kind,
    ).toBe('malformed');
  });
});

describe('stateOf', () => {
  const valid = (issuedDaysAgo: number, expDays: number) => {
    const token = Token.parse(tokenFor('r1', -issuedDaysAgo, expDays), 'x', now);
    return { kind: 'valid' as const, token, origin: 'minted' as const };
  };
  test('ok, with the next rotation at 2/3 of the lifespan', () => {
    const s = stateOf({
      consumer,
      verdict: valid(1, 89),
      usage: { lastUsedAt: now.toISOString() },
      unusedAlertDays: 30,
      now,
    });
    expect(s.state).toBe('ok');
    expect(s.nextRotationAt).toBe(new Date(now.getTime() + 59 * 86_400_000).toISOString());
  });
  test('expiring within 7 days, unused past unused_alert_days, failing, missing, rejected', () => {
    expect(
      stateOf({ consumer, verdict: valid(85, 5), usage: {}, unusedAlertDays: 30, now }).state,
    ).toBe('expiring');
    const longAgo = new Date(now.getTime() - 31 * 86_400_000).toISOString();
    expect(
      stateOf({
        consumer,
        verdict: valid(40, 50),
        usage: { lastUsedAt: longAgo },
        unusedAlertDays: 30,
        now,
      }).state,
    ).toBe('unused');
    expect(
      stateOf({
        consumer,
        verdict: valid(40, 50),
        usage: { lastUsedAt: now.toISOString() },
        unusedAlertDays: 30,
        now,
      }).state,
    ).toBe('ok');
    expect(
      stateOf({
        consumer,
        verdict: valid(1, 89),
        usage: {},
        unusedAlertDays: 30,
        failing: 'SSM down',
        now,
      }).state,
    ).toBe('failing');
    // A dead token still in the parameter because publishing a new one failed: still rejected.
    const stuck = stateOf({
      consumer,
      verdict: { kind: 'rejected', token: Token.parse(tokenFor('r9'), 'x', now), why: 'revoked' },
      usage: {},
      unusedAlertDays: 30,
      failing: 'Issuing failed: AccessDeniedException',
      now,
    });
    expect(stuck.state).toBe('rejected');
    expect(stuck.reason).toMatch(/could not publish a new one: Issuing failed: AccessDenied/);
    expect(
      stateOf({ consumer, verdict: { kind: 'missing' }, usage: {}, unusedAlertDays: 30, now })
        .state,
    ).toBe('missing parameter');
    expect(
      stateOf({
        consumer,
        verdict: { kind: 'malformed', why: 'x' },
        usage: {},
        unusedAlertDays: 30,
        now,
      }).state,
    ).toBe('rejected');
  });
});

describe('usageOf', () => {
  // Home Assistant stamps a long-lived token's last_used_at when it creates it, and never on use.
  test('the stamp at creation is not a use; a recorded later use is', () => {
    const entry = {
      id: 'r1',
      client_name: null,
      type: 'long_lived_access_token',
      created_at: '2026-06-01T00:00:00Z',
      last_used_at: '2026-06-01T00:00:00.2Z',
      last_used_ip: null,
    };
    expect(usageOf(entry)).toEqual({ createdAt: entry.created_at });
    expect(
      usageOf({ ...entry, last_used_at: '2026-06-02T00:00:00Z', last_used_ip: '10.0.0.7' }),
    ).toMatchObject({ lastUsedAt: '2026-06-02T00:00:00Z', lastUsedIp: '10.0.0.7' });
  });

  test('no recorded use is not "unused"', () => {
    const token = Token.parse(tokenFor('r1', -40, 50), 'x', now);
    const s = stateOf({
      consumer,
      verdict: { kind: 'valid', token, origin: 'minted' },
      usage: { createdAt: new Date(now.getTime() - 40 * 86_400_000).toISOString() },
      unusedAlertDays: 30,
      now,
    });
    expect(s.state).toBe('ok');
  });
});
