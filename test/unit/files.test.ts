import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readPrivateJson } from '../../src/files.js';

const numbers = (value: unknown): number[] => {
  if (!Array.isArray(value) || !value.every((n) => typeof n === 'number')) {
    throw new Error('not a list of numbers');
  }
  return value;
};
const salvageNumbers = (text: string) => [...text.matchAll(/\d+(?=,)/g)].map((m) => Number(m[0]));
const at = () => new Date('2026-11-23T12:00:00.000Z');

async function dir() {
  return mkdtemp(join(tmpdir(), 'htm-files-'));
}

describe('readPrivateJson', () => {
  test('a missing file is missing; a good one is parsed', async () => {
    const d = await dir();
    await writeFile(join(d, 'good.json'), '[1,2,3]');

    expect(await readPrivateJson(join(d, 'none.json'), numbers)).toEqual({ kind: 'missing' });
    expect(await readPrivateJson(join(d, 'good.json'), numbers)).toEqual({
      kind: 'ok',
      value: [1, 2, 3],
    });
  });

  test('a file cut short is moved aside, salvaged, and the problem names file and copy without quoting it', async () => {
    const d = await dir();
    const file = join(d, 'state.json');
    await writeFile(file, '[1,2,3,4');

    const read = await readPrivateJson(file, numbers, salvageNumbers, at);

    expect(read).toEqual({
      kind: 'damaged',
      problem: `state.json in ${d} was damaged (not valid JSON); the damaged copy is kept as state.json.damaged-2026-11-23T12-00-00-000Z`,
      salvaged: [1, 2, 3],
      keptAs: `${file}.damaged-2026-11-23T12-00-00-000Z`,
    });
    expect(await readdir(d)).toEqual(['state.json.damaged-2026-11-23T12-00-00-000Z']);
    expect(await readFile(`${file}.damaged-2026-11-23T12-00-00-000Z`, 'utf8')).toBe('[1,2,3,4');
  });

  test('valid JSON of the wrong shape is damaged too, with the reason parse gave', async () => {
    const d = await dir();
    await writeFile(join(d, 'state.json'), '{"a": 1}');

    const read = await readPrivateJson(join(d, 'state.json'), numbers, undefined, at);

    expect(read).toMatchObject({ kind: 'damaged', salvaged: undefined });
    expect(read.kind === 'damaged' && read.problem).toMatch(/\(not a list of numbers\)/);
  });

  test('a file that cannot be read is reported and left where it is', async () => {
    const d = await dir();
    await mkdir(join(d, 'state.json'));

    const read = await readPrivateJson(join(d, 'state.json'), numbers);

    expect(read).toMatchObject({ kind: 'damaged', keptAs: undefined });
    expect(read.kind === 'damaged' && read.problem).toMatch(/could not be read \(EISDIR\)/);
    expect(await readdir(d)).toEqual(['state.json']);
  });
});
