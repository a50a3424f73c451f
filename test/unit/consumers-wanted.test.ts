import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { consumersWanted } from '../../src/consumers/wanted.js';
import type { RotationRecord } from '../../src/rotation/record.js';

async function dir(remembered?: Record<string, unknown>): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'htm-wanted-'));
  if (remembered)
    await writeFile(
      join(d, 'consumers.json'),
      JSON.stringify({ version: 1, consumers: remembered }),
    );
  return d;
}

const unsettled: RotationRecord = {
  credential: 'consumer:alexa',
  clientName: 'HA Token Manager: alexa 2026-11-23T12:00:00.000Z',
  startedAt: '2026-11-23T12:00:00.000Z',
  updatedAt: '2026-11-23T12:00:00.000Z',
  replaced: { refreshTokenId: 'old', masked: '••••OLD1' },
  minted: { refreshTokenId: 'new', masked: '••••NEW1' },
  state: { kind: 'revoking', dueAt: '2026-11-23T13:00:00.000Z' },
};

describe('whether the consumer manager runs', () => {
  test('all consumers removed, but remembered: it runs (the removed rows and Revoke remain)', async () => {
    const d = await dir({ nas: { parameter: '/c/nas', addresses: [], revoked: [] } });
    expect(await consumersWanted({ configured: 0, dataDir: d, records: [], ssm: true })).toEqual({
      run: true,
    });
  });

  test('all consumers removed, an unsettled consumer record in the journal: it runs', async () => {
    const d = await dir();
    expect(
      await consumersWanted({ configured: 0, dataDir: d, records: [unsettled], ssm: true }),
    ).toEqual({ run: true });
  });

  test('nothing configured, remembered or unsettled: it does not run', async () => {
    const d = await dir();
    const done = { ...unsettled, state: { kind: 'done' as const } };
    expect(
      await consumersWanted({ configured: 0, dataDir: d, records: [done], ssm: true }),
    ).toEqual({ run: false });
  });

  test('remembered consumers without SSM: says aws_region is needed to settle them', async () => {
    const d = await dir({ nas: { parameter: '/c/nas', addresses: [], revoked: [] } });
    const wanted = await consumersWanted({
      configured: 0,
      dataDir: d,
      records: [unsettled],
      ssm: false,
    });
    expect(wanted.run).toBe(false);
    expect(!wanted.run && wanted.problem).toMatch(/aws_region.*credentials/);
    expect(!wanted.run && wanted.problem).toContain('1 unfinished consumer rotation');
  });
});
