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
async function setup(parameterHolds: string) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'htm-rotator-'));
  const sent: Record<string, unknown>[] = [];
  const conn = {
    sendMessagePromise: async (message: Record<string, unknown>) => {
      sent.push(message);
      return {};
    },
  };
  const status = new StatusModel(clock);
  const pending = new PendingRevocations(dir);
  const rotator = new Rotator({
    config: { graceMinutes: 15, lifespanDays: 365 },
    connection: { connection: conn } as unknown as HaConnection,
    tokens: {} as TokenManager,
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
