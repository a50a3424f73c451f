import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect, test, vi } from 'vitest';

// What writePrivateFile asks of the file system, in order: the temporary file
// synced before the rename, the directory synced after it.
const calls: string[] = [];
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const name = (p: unknown) => (String(p).endsWith('.tmp') ? 'tmp' : basename(String(p)));
  return {
    ...real,
    open: async (
      path: string,
      ...rest: Parameters<typeof real.open> extends [unknown, ...infer R] ? R : never
    ) => {
      const handle = await real.open(path, ...rest);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        calls.push(`sync ${name(path)}`);
        await sync();
      };
      return handle;
    },
    rename: async (from: string, to: string) => {
      calls.push(`rename ${name(from)} → ${name(to)}`);
      await real.rename(from, to);
    },
  };
});

const { writePrivateFile } = await import('../../src/files.js');

test('writePrivateFile syncs the temporary file, renames it, then syncs the directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'htm-durable-'));
  const file = join(dir, 'journal.jsonl');

  await Promise.all([writePrivateFile(file, () => 'one\n'), writePrivateFile(file, () => 'two\n')]);

  const d = basename(dir);
  expect(calls).toEqual([
    'sync tmp',
    'rename tmp → journal.jsonl',
    `sync ${d}`,
    'sync tmp',
    'rename tmp → journal.jsonl',
    `sync ${d}`,
  ]);
  expect(await readFile(file, 'utf8')).toBe('two\n');
});
