import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConsumerMemory } from '../../src/consumers/memory.js';

describe('consumers.json', () => {
  test('a damaged file is kept aside, its readable entries kept, and the next save does not overwrite it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'htm-memory-'));
    const damaged = JSON.stringify({
      version: 1,
      consumers: {
        nas: { parameter: '/c/nas', refreshTokenId: 'r-nas', addresses: ['10.0.0.7'], revoked: [] },
        broken: { addresses: [] },
      },
    });
    await writeFile(join(dir, 'consumers.json'), damaged);
    const memory = new ConsumerMemory(dir);
    const problem = await memory.load();
    expect(problem).toMatch(/damaged.*entry still readable is kept/);
    expect(memory.names()).toEqual(['nas']);
    expect(memory.get('nas')).toMatchObject({ refreshTokenId: 'r-nas', addresses: ['10.0.0.7'] });

    await memory.save();
    const files = await readdir(dir);
    const aside = files.find((f) => f.startsWith('consumers.json.damaged-'));
    expect(aside).toBeDefined();
    expect(await readFile(join(dir, aside as string), 'utf8')).toBe(damaged);
    const saved = JSON.parse(await readFile(join(dir, 'consumers.json'), 'utf8'));
    expect(Object.keys(saved.consumers)).toEqual(['nas']);
  });

  test('a file that is not JSON is kept aside; the memory starts empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'htm-memory-'));
    await writeFile(join(dir, 'consumers.json'), '{"version":1,"consu');
    const memory = new ConsumerMemory(dir);
    expect(await memory.load()).toMatch(/not valid JSON/);
    expect(memory.names()).toEqual([]);
    await memory.save();
    expect((await readdir(dir)).some((f) => f.startsWith('consumers.json.damaged-'))).toBe(true);
  });
});
