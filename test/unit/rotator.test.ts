import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { HaConnection } from '../../src/ha/connection.js';
import { PendingRevocations } from '../../src/rotation/pending-revocations.js';
import { Rotator } from '../../src/rotation/rotator.js';
import { StatusModel } from '../../src/status/status-model.js';
import type { TokenManager } from '../../src/tokens/token-manager.js';
import { FakeClock, jwt, memoryLogger } from '../support/fakes.js';

// The add-on stopping in the middle of a rotation cannot be provoked on cue
// against the real parts, so this drives the Rotator's recovery with a fake
// connection that records the commands it is sent and a fake parameter.
async function setup(
  parameterHolds: string,
  o: {
    inUse?: string;
    haTokens?: { id: string; client_name: string }[];
    unfinished?: boolean;
  } = {},
) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'htm-rotator-'));
  const sent: Record<string, unknown>[] = [];
  const conn = {
    sendMessagePromise: async (message: Record<string, unknown>) => {
      sent.push(message);
      return message.type === 'auth/refresh_tokens' ? (o.haTokens ?? []) : {};
    },
  };
  const status = new StatusModel(clock);
  const pending = new PendingRevocations(dir);
  const rotator = new Rotator({
    config: { graceMinutes: 15, lifespanDays: 365 },
    connection: { connection: conn } as unknown as HaConnection,
    tokens: {
      peek: () => (o.inUse ? { refreshTokenId: o.inUse } : undefined),
    } as unknown as TokenManager,
    check: async () => {},
    publisher: {
      description: 'SSM parameter /x',
      publish: async () => 2,
      read: async () => ({ value: parameterHolds }),
    },
    pending,
    status,
    log: memoryLogger().log,
    clock,
  });
  // What an interrupted rotation leaves behind: the minted token, unfinished.
  if (o.unfinished !== false)
    await pending.add({
      refreshTokenId: 'minted-id',
      masked: '••••NEW1',
      dueAt: new Date(clock.now()).toISOString(),
      reason: 'unfinished rotation',
      replaces: { refreshTokenId: 'old-id', masked: '••••OLD1' },
    });
  return { clock, sent, status, pending, rotator, dir };
}

describe('a rotation interrupted by a restart', () => {
  test('that had published: finished at the next start — the new token stays, the old one is revoked after the grace period', async () => {
    const { clock, sent, rotator, dir } = await setup(jwt({ iss: 'minted-id' }));
    const restarted = new PendingRevocations(dir);

    await rotator.revokeDue();

    expect(sent).toEqual([]);
    await restarted.load();
    expect(restarted.items).toEqual([
      expect.objectContaining({ refreshTokenId: 'old-id', reason: 'replaced by rotation' }),
    ]);
    clock.advance(15 * 60_000);
    await rotator.revokeDue();
    expect(sent).toEqual([{ type: 'auth/delete_refresh_token', refresh_token_id: 'old-id' }]);
  });

  test('that had not published: undone at the next start — the new token is revoked, the old one kept', async () => {
    const { sent, pending, rotator } = await setup(jwt({ iss: 'old-id' }));

    await rotator.revokeDue();

    expect(sent).toEqual([{ type: 'auth/delete_refresh_token', refresh_token_id: 'minted-id' }]);
    expect(pending.items).toEqual([]);
  });
});

describe('a rotation whose mint answer was lost', () => {
  const placeholder = {
    refreshTokenId: 'client:HA Token Manager 2026-11-23T12:00:00.000Z',
    clientName: 'HA Token Manager 2026-11-23T12:00:00.000Z',
    masked: '(being minted)',
    dueAt: '2026-11-23T12:00:00.000Z',
    reason: 'unfinished rotation',
    replaces: { refreshTokenId: 'old-id', masked: '••••OLD1' },
  };

  test('finds the minted token by its name and revokes it (SSM never got it)', async () => {
    const { sent, pending, rotator } = await setup(jwt({ iss: 'old-id' }), {
      unfinished: false,
      haTokens: [{ id: 'orphan-id', client_name: placeholder.clientName }],
    });
    await pending.add(placeholder);

    await rotator.revokeDue();

    expect(sent).toEqual([
      { type: 'auth/refresh_tokens' },
      { type: 'auth/delete_refresh_token', refresh_token_id: 'orphan-id' },
    ]);
    expect(pending.items).toEqual([]);
  });

  test('drops the entry when Home Assistant never minted it', async () => {
    const { sent, pending, rotator } = await setup(jwt({ iss: 'old-id' }), { unfinished: false });
    await pending.add(placeholder);

    await rotator.revokeDue();

    expect(sent).toEqual([{ type: 'auth/refresh_tokens' }]);
    expect(pending.items).toEqual([]);
  });
});

test('never revokes the token the add-on still uses', async () => {
  const { sent, pending, rotator } = await setup(jwt({ iss: 'x' }), {
    unfinished: false,
    inUse: 'still-used',
  });
  await pending.add({
    refreshTokenId: 'still-used',
    masked: '••••USED',
    dueAt: '2026-11-23T11:00:00.000Z',
    reason: 'replaced by rotation',
  });

  await rotator.revokeDue();

  expect(sent).toEqual([]);
  expect(pending.items).toHaveLength(1);
});
