import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RotationJournal } from '../../src/rotation/journal.js';
import type { RotationRecord } from '../../src/rotation/record.js';
import { FakeClock } from '../support/fakes.js';

async function fresh() {
  const dir = await mkdtemp(join(tmpdir(), 'htm-journal-'));
  const clock = new FakeClock();
  return { dir, clock, journal: new RotationJournal(dir, clock) };
}

function rec(
  clientName: string,
  state: RotationRecord['state'],
  credential = 'addon',
): RotationRecord {
  return {
    credential,
    clientName,
    startedAt: '2026-11-23T11:00:00.000Z',
    updatedAt: '2026-11-23T11:00:00.000Z',
    replaced: { refreshTokenId: `old-${clientName}`, masked: '••••OLD1' },
    minted: { refreshTokenId: `new-${clientName}`, masked: '••••NEW1' },
    state,
  };
}

describe('RotationJournal', () => {
  test('each change is on disk, mode 0600, when put() resolves; a new journal reads it back', async () => {
    const { dir, clock, journal } = await fresh();
    await journal.put(rec('a', { kind: 'minting' }));
    await journal.put(rec('a', { kind: 'minted' }));

    expect((await stat(journal.file)).mode & 0o777).toBe(0o600);
    const again = new RotationJournal(dir, clock);
    expect(await again.load()).toEqual([]);
    expect(again.records.map((r) => [r.clientName, r.state.kind])).toEqual([['a', 'minted']]);
  });

  test('keeps every unfinished record and, per credential, the newest successful and the newest failed finished one', async () => {
    const { journal } = await fresh();
    await journal.put(rec('a', { kind: 'done' }));
    await journal.put(rec('b', { kind: 'revoking', dueAt: '2026-11-23T12:01:00.000Z' }));
    await journal.put(rec('c', { kind: 'rolled-back' }));
    await journal.put(rec('x', { kind: 'done' }, 'consumer-1'));
    // The last successful rotation survives a failed attempt after it ("last rotated").
    expect(journal.records.map((r) => r.clientName)).toEqual(['a', 'b', 'c', 'x']);

    await journal.put(rec('d', { kind: 'abandoned' }));
    await journal.put(rec('e', { kind: 'done' }));
    expect(journal.records.map((r) => r.clientName)).toEqual(['b', 'x', 'd', 'e']);
  });

  test('a failed rotation during the grace period of an earlier one is kept when the earlier one reaches done', async () => {
    const { journal } = await fresh();
    await journal.put(rec('A', { kind: 'revoking', dueAt: '2026-11-23T12:01:00.000Z' }));
    await journal.put(rec('B', { kind: 'rolled-back' }));
    await journal.put(rec('A', { kind: 'done', revoked: true }));
    expect(journal.records.map((r) => [r.clientName, r.state.kind])).toEqual([
      ['B', 'rolled-back'],
      ['A', 'done'],
    ]);
  });

  test('a damaged line: the copy is kept beside it, the problem is said, every readable record is kept', async () => {
    const { dir, clock, journal } = await fresh();
    await journal.put(rec('a', { kind: 'revoking', dueAt: '2026-11-23T12:01:00.000Z' }));
    await journal.put(rec('b', { kind: 'minted' }));
    const text = await readFile(journal.file, 'utf8');
    await writeFile(journal.file, `${text.slice(0, text.length - 20)}`); // truncated mid-line

    const again = new RotationJournal(dir, clock);
    const problems = await again.load();

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/is damaged \(line 2 unreadable; a copy is kept as .*damaged-/);
    expect(again.records.map((r) => r.clientName)).toEqual(['a']);
    const damaged = (await readdir(dir)).filter((f) => f.includes('.damaged-'));
    expect(damaged).toHaveLength(1);
    expect(await readFile(join(dir, damaged[0] as string), 'utf8')).toBe(
      text.slice(0, text.length - 20),
    );
  });

  test("the previous release's pending-revocations.json is migrated once into records", async () => {
    const { dir, clock, journal } = await fresh();
    await writeFile(
      join(dir, 'pending-revocations.json'),
      JSON.stringify([
        {
          refreshTokenId: 'old1',
          masked: '••••OLD1',
          dueAt: '2026-11-23T12:10:00.000Z',
          reason: 'replaced by rotation',
        },
        {
          refreshTokenId: 'new1',
          masked: '••••NEW1',
          dueAt: '2026-11-23T11:00:00.000Z',
          reason: 'unfinished rotation',
          replaces: { refreshTokenId: 'old0', masked: '••••OLD0' },
        },
        {
          refreshTokenId: 'client:HA Token Manager x',
          masked: '(being minted)',
          clientName: 'HA Token Manager x',
          dueAt: '2026-11-23T11:00:00.000Z',
          reason: 'unfinished rotation',
        },
      ]),
    );

    expect(await journal.load()).toEqual([]);
    const again = new RotationJournal(dir, clock);
    await again.load();

    expect(
      again.records.map((r) => [
        r.state.kind,
        r.replaced?.refreshTokenId,
        r.minted?.refreshTokenId,
      ]),
    ).toEqual([
      ['revoking', 'old1', undefined],
      ['minted', 'old0', 'new1'],
      ['minting', undefined, undefined],
    ]);
    expect(again.records[2]?.clientName).toBe('HA Token Manager x');
    expect(await readdir(dir)).toContain('pending-revocations.json.migrated');
    expect(await readdir(dir)).not.toContain('pending-revocations.json');
  });

  test("a record missing its state's fields is a damaged line, kept in the copy", async () => {
    const { dir, clock } = await fresh();
    const lines = [
      rec('good', { kind: 'revoking', dueAt: '2026-11-23T12:01:00.000Z' }),
      rec('no-due', { kind: 'revoking' } as unknown as RotationRecord['state']),
      rec('no-published-at', { kind: 'published' } as unknown as RotationRecord['state']),
      { ...rec('no-minted', { kind: 'minted' }), minted: undefined },
      rec('bad-date', { kind: 'published', publishedAt: 'soon' }),
    ];
    const text = lines.map((l) => `${JSON.stringify(l)}\n`).join('');
    await writeFile(join(dir, 'rotation-journal.jsonl'), text);

    const journal = new RotationJournal(dir, clock);
    const problems = await journal.load();

    expect(problems).toEqual([expect.stringMatching(/line 2, 3, 4, 5 unreadable/)]);
    expect(journal.records.map((r) => r.clientName)).toEqual(['good']);
    const copy = (await readdir(dir)).find((f) => f.includes('.damaged-')) as string;
    expect(await readFile(join(dir, copy), 'utf8')).toBe(text);
  });

  test('a journal that cannot be read is reported, never overwritten, and refuses every write', async () => {
    const { dir, journal } = await fresh();
    await mkdir(journal.file); // EISDIR on read and on the rename over it
    await writeFile(join(journal.file, 'inside'), 'x');

    const problems = await journal.load();

    expect(problems).toEqual([expect.stringMatching(/could not be read \(EISDIR\)/)]);
    await expect(journal.put(rec('a', { kind: 'minting' }))).rejects.toThrow(
      /Rotation is stopped: the rotation journal .* could not be read \(EISDIR\)/,
    );
    expect(await readdir(journal.file)).toEqual(['inside']);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a migration whose write fails is a problem, not a crash; the old file is kept for the next start', async () => {
    const { dir, journal } = await fresh();
    await writeFile(
      join(dir, 'pending-revocations.json'),
      JSON.stringify([
        { refreshTokenId: 'old1', masked: '••••OLD1', dueAt: '2026-11-23T12:10:00.000Z' },
      ]),
    );
    // The rename of the old file fails: its target name is a non-empty directory.
    await mkdir(join(dir, 'pending-revocations.json.migrated'));
    await writeFile(join(dir, 'pending-revocations.json.migrated', 'x'), 'x');

    const problems = await journal.load();

    expect(problems).toEqual([
      expect.stringMatching(/Could not finish migrating .* the old file is kept/),
    ]);
    expect(journal.records.map((r) => r.state.kind)).toEqual(['revoking']);
    expect(await readdir(dir)).toContain('pending-revocations.json');
  });

  test('holds no token value: only ids, masked forms and names', async () => {
    const { journal } = await fresh();
    await journal.put(rec('a', { kind: 'minted' }));
    const text = await readFile(journal.file, 'utf8');
    expect(text).not.toMatch(/eyJ/); // a JWT's first segment
    expect(Object.keys(JSON.parse(text.split('\n')[0] as string).minted)).toEqual([
      'refreshTokenId',
      'masked',
    ]);
  });
});
