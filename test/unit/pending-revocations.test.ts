import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { PendingRevocations } from '../../src/rotation/pending-revocations.js';

const item = (id: string, dueAt: string) => ({
  refreshTokenId: id,
  masked: '••••abcd',
  dueAt,
  reason: 'replaced by rotation',
});

test('survives a restart: what one instance adds, the next one loads, from a 0600 file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'htm-pending-'));
  const first = new PendingRevocations(dir);
  await first.load();
  await first.add(item('a', '2026-11-23T12:00:00Z'));
  await first.add(item('b', '2026-11-23T13:00:00Z'));

  const second = new PendingRevocations(dir);
  const problem = await second.load();

  expect(problem).toBeUndefined();
  expect(second.items.map((i) => i.refreshTokenId)).toEqual(['a', 'b']);
  expect(second.due(Date.parse('2026-11-23T12:30:00Z')).map((i) => i.refreshTokenId)).toEqual([
    'a',
  ]);
  expect((await stat(join(dir, 'pending-revocations.json'))).mode & 0o777).toBe(0o600);
  expect(await readdir(dir)).toEqual(['pending-revocations.json']); // no temporary file left behind
});

test('removing an entry rewrites the file without it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'htm-pending-'));
  const store = new PendingRevocations(dir);
  await store.add(item('a', '2026-11-23T12:00:00Z'));

  await store.remove('a');

  expect(JSON.parse(await readFile(join(dir, 'pending-revocations.json'), 'utf8'))).toEqual([]);
});

test('a corrupt file is a problem to report, not a crash', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'htm-pending-'));
  await writeFile(join(dir, 'pending-revocations.json'), '{ not json');

  const store = new PendingRevocations(dir);
  const problem = await store.load();

  expect(problem).toMatch(/is not valid JSON; pending revocations in it are lost/);
  expect(store.items).toEqual([]);
});
