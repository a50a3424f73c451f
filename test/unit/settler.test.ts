import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { SourceError } from '../../src/errors.js';
import { RotationJournal } from '../../src/rotation/journal.js';
import { Settler } from '../../src/rotation/settler.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock, jwt, memoryLogger } from '../support/fakes.js';

// A record that keeps waiting on SSM: each look is a GetParameter (money and
// quota), so the periodic looks back off, and the wait says what SSM answered.
test('a waiting record is looked at less and less often, and waitingFor carries the last error', async () => {
  const clock = new FakeClock();
  const journal = new RotationJournal(await mkdtemp(join(tmpdir(), 'htm-settler-')), clock);
  await journal.put({
    credential: 'addon',
    clientName: 'r',
    startedAt: '2026-11-23T11:00:00.000Z',
    updatedAt: '2026-11-23T11:00:00.000Z',
    replaced: { refreshTokenId: 'old-id', masked: '••••OLD1' },
    minted: { refreshTokenId: 'new-id', masked: '••••NEW1' },
    state: { kind: 'minted' },
  });
  let reads = 0;
  const settler = new Settler({
    journal,
    connection: { connection: undefined },
    // The add-on's credential, as the Rotator builds it: its target is the SSM parameter.
    credentials: () => ({
      id: 'addon',
      label: "the add-on's token",
      target: {
        description: 'SSM parameter /x',
        read: async () => {
          reads++;
          throw new SourceError(
            'Access denied reading SSM parameter /x: allow ssm:GetParameter on it.',
          );
        },
        publish: async () => undefined,
      },
      policy: { lifespanDays: 365, graceMinutes: 15 },
      clientName: () => 'r',
      inUse: () => undefined,
      verify: async () => undefined,
      toReplace: async () => ({ token: undefined }),
    }),
    status: new StatusModel(clock),
    log: memoryLogger().log,
    clock,
    changed: () => undefined,
    checkEveryMs: 5000,
  });

  const readsAt: number[] = [];
  for (let second = 0; second <= 40; second += 5) {
    const before = reads;
    await settler.tick();
    if (reads > before) readsAt.push(second);
    clock.advance(5000);
  }

  // 5 s, 10 s, 20 s between looks: not one GetParameter per 5 s tick.
  expect(readsAt).toEqual([0, 5, 15, 35]);
  expect(settler.waiting.get('r')).toMatch(
    /Waiting for SSM.*Last error from SSM: Access denied .* ssm:GetParameter/,
  );

  // A look the rotation asks for is not paced.
  await settler.exclusive(() => settler.pass('r', true));
  expect(reads).toBe(5);
});

// Consumers a and b adopted the same token X; b was rotated. X must outlive b's
// grace period while a still holds it (docs/rotation.md, "Shared tokens").
test('a replaced token another consumer still holds is not revoked; the wait names that consumer', async () => {
  const clock = new FakeClock();
  const journal = new RotationJournal(await mkdtemp(join(tmpdir(), 'htm-settler-')), clock);
  await journal.put({
    credential: 'consumer:b',
    clientName: 'HA Token Manager: b 2026-11-23T11:00:00.000Z',
    startedAt: '2026-11-23T11:00:00.000Z',
    updatedAt: '2026-11-23T11:00:00.000Z',
    replaced: { refreshTokenId: 'x-id', masked: '••••XXXX' },
    minted: { refreshTokenId: 'new-id', masked: '••••NEW1' },
    state: { kind: 'revoking', dueAt: '2026-11-23T11:30:00.000Z' },
  });
  const deleted: string[] = [];
  const conn = {
    sendMessagePromise: async (m: { type: string; refresh_token_id?: string }) => {
      if (m.type === 'auth/current_user') return { id: 'user' };
      if (m.type === 'auth/refresh_tokens')
        return [
          { id: 'x-id', client_name: 'made by hand' },
          { id: 'new-id', client_name: 'HA Token Manager: b 2026-11-23T11:00:00.000Z' },
        ];
      if (m.type === 'auth/delete_refresh_token') deleted.push(m.refresh_token_id ?? '');
      return null;
    },
  };
  let holders = [{ credential: 'consumer:a', label: 'consumer a', refreshTokenId: 'x-id' }];
  const settler = new Settler({
    journal,
    connection: { connection: conn as never },
    credentials: () => ({
      id: 'consumer:b',
      label: 'consumer b',
      target: {
        description: 'SSM parameter /b',
        read: async () => ({ value: jwt({ iss: 'new-id' }) }),
        publish: async () => undefined,
      },
      policy: { lifespanDays: 365, graceMinutes: 15 },
      clientName: () => 'unused',
      inUse: (held) => held,
      verify: async () => undefined,
      toReplace: async () => ({ token: undefined }),
    }),
    status: new StatusModel(clock),
    log: memoryLogger().log,
    clock,
    changed: () => undefined,
    holders: () => holders,
  });

  await settler.exclusive(() => settler.pass());
  expect(deleted).toEqual([]);
  expect([...settler.waiting.values()][0]).toMatch(/consumer a to stop holding ••••XXXX/);

  holders = [];
  await settler.exclusive(() => settler.pass());
  expect(deleted).toEqual(['x-id']);
  expect(journal.records[0]?.state.kind).toBe('done');
});
