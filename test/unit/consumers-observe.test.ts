import { describe, expect, test } from 'vitest';
import type { Verdict } from '../../src/consumers/inspect.js';
import type { Remembered } from '../../src/consumers/memory.js';
import { observe } from '../../src/consumers/observe.js';
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
const token = (iss: string) =>
  Token.parse(
    jwt({ iss, iat: now.getTime() / 1000 - 86400, exp: now.getTime() / 1000 + 86400 * 80 }),
    'x',
    now,
  );
const entry = (id: string, ip: string | null, usedDaysAgo = 2) => ({
  id,
  client_name: 'HA Token Manager: alexa 2026-05-01T00:00:00.000Z',
  type: 'long_lived_access_token',
  created_at: '2026-05-01T00:00:00Z',
  last_used_at: new Date(now.getTime() - usedDaysAgo * 86_400_000).toISOString(),
  last_used_ip: ip,
});
const empty: Remembered = { parameter: '/c/alexa', addresses: [], revoked: [] };
const run = (
  verdict: Verdict,
  remembered = empty,
  extra: Partial<Parameters<typeof observe>[0]> = {},
) =>
  observe({
    consumer,
    verdict,
    version: 3,
    remembered,
    previousNewAddress: undefined,
    mintedByAddon: () => false,
    now,
    ...extra,
  });

describe('observe', () => {
  test('the first address is remembered quietly; a different one later is flagged once, then kept flagged', () => {
    const t = token('r1');
    const first = run({
      kind: 'valid',
      token: t,
      origin: 'minted',
      entry: entry('r1', '10.0.0.7'),
    });
    expect(first.events).toEqual([]);
    expect(first.remembered.addresses).toEqual(['10.0.0.7']);

    const second = run(
      { kind: 'valid', token: t, origin: 'minted', entry: entry('r1', '203.0.113.9') },
      first.remembered,
    );
    expect(second.seen.newAddress).toBe('203.0.113.9');
    expect(second.events.map((e) => e.message)).toEqual([
      'The token of alexa was used from 203.0.113.9, an address it never used before.',
    ]);

    const third = run(
      { kind: 'valid', token: t, origin: 'minted', entry: entry('r1', '203.0.113.9') },
      second.remembered,
      { previousNewAddress: '203.0.113.9' },
    );
    expect(third.events).toEqual([]);
    expect(third.seen.newAddress).toBe('203.0.113.9');
  });

  test('a parameter changed outside the add-on is reported; its own rotation is not', () => {
    const before = { ...empty, fingerprint: token('r1').fingerprint, masked: token('r1').masked };
    const changed = run({ kind: 'valid', token: token('r2'), origin: 'adopted' }, before);
    expect(changed.events.map((e) => e.level)).toEqual(['warning', 'info']);
    expect(changed.events[0]?.message).toMatch(/was changed outside the add-on/);
    const ours = run({ kind: 'valid', token: token('r2'), origin: 'minted' }, before, {
      mintedByAddon: (id) => id === 'r2',
    });
    expect(ours.events).toEqual([]);
  });

  test('missing, malformed and rejected are issued anew; a valid token is remembered without its value', () => {
    expect(run({ kind: 'missing' }).issue).toBe(true);
    expect(run({ kind: 'malformed', why: 'not a token' }).issue).toBe(true);
    expect(run({ kind: 'rejected', token: token('r3'), why: 'revoked' }).issue).toBe(true);
    const valid = run({ kind: 'valid', token: token('r1'), origin: 'minted' });
    expect(valid.issue).toBe(false);
    expect(valid.remembered).toMatchObject({ refreshTokenId: 'r1', version: 3 });
    expect(JSON.stringify(valid.remembered)).not.toContain(token('r1').reveal());
  });
});

describe('observe: the rotation schedule', () => {
  const t = token('r1');
  const valid: Verdict = { kind: 'valid', token: t, origin: 'minted', entry: entry('r1', null) };
  const seen: Remembered = {
    ...empty,
    refreshTokenId: t.refreshTokenId,
    masked: t.masked,
    fingerprint: t.fingerprint,
  };

  test('a schedule added to a consumer whose token did not change takes effect', () => {
    const scheduled = { ...consumer, schedule: '0 3 * * 0' };
    const out = run(valid, seen, { consumer: scheduled });
    expect(out.remembered.scheduledAt).toBeDefined();
    expect(out.remembered.schedule).toBe('0 3 * * 0');
  });

  test('a changed schedule is computed anew; the same one is kept', () => {
    const before = { ...seen, scheduledAt: '2030-01-06T03:00:00.000Z', schedule: '0 3 * * 0' };
    const same = run(valid, before, { consumer: { ...consumer, schedule: '0 3 * * 0' } });
    expect(same.remembered.scheduledAt).toBe('2030-01-06T03:00:00.000Z');
    const changed = run(valid, before, { consumer: { ...consumer, schedule: '0 4 1 * *' } });
    expect(changed.remembered.scheduledAt).not.toBe('2030-01-06T03:00:00.000Z');
    expect(changed.remembered.schedule).toBe('0 4 1 * *');
  });
});
