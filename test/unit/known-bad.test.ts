import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { KnownBadTokens } from '../../src/tokens/known-bad.js';
import { Token } from '../../src/tokens/token.js';
import { jwt } from '../support/fakes.js';

const token = (iss: string) => Token.parse(jwt({ iss }), 'the test');

test('a rejection is remembered across restarts, for the same Home Assistant only, as hashes in a 0600 file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'htm-known-bad-'));
  const bad = token('bad');
  await (await KnownBadTokens.open(dir, 'http://ha-a:8123')).add(bad);

  expect((await KnownBadTokens.open(dir, 'http://ha-a:8123')).has(bad)).toBe(true);
  expect((await KnownBadTokens.open(dir, 'http://ha-b:8123')).has(bad)).toBe(false);
  expect((await KnownBadTokens.open(dir, 'http://ha-a:8123')).has(token('good'))).toBe(false);
  const file = join(dir, 'rejected-tokens.json');
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect(await readFile(file, 'utf8')).not.toContain(bad.reveal());
});

test('rejections in quick succession all reach the file, whatever order the writes finish in', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'htm-known-bad-'));
  const store = await KnownBadTokens.open(dir, 'http://ha');
  const tokens = Array.from({ length: 20 }, (_, i) => token(`t${i}`));

  await Promise.all(tokens.map((t) => store.add(t)));
  const reopened = await KnownBadTokens.open(dir, 'http://ha');

  for (const t of tokens) expect(reopened.has(t)).toBe(true);
});

test('a truncated file is reported, kept beside as a copy, and every hash still readable is kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'htm-known-bad-'));
  const scope = 'http://ha';
  const tokens = Array.from({ length: 3 }, (_, i) => token(`t${i}`));
  const store = await KnownBadTokens.open(dir, scope);
  for (const t of tokens) await store.add(t);
  const file = join(dir, 'rejected-tokens.json');
  const whole = await readFile(file, 'utf8');
  await writeFile(file, whole.slice(0, whole.length - 20)); // the last hash cut short
  const problems: string[] = [];

  const reopened = await KnownBadTokens.open(dir, scope, (p) => problems.push(p));

  expect(problems).toEqual([
    expect.stringMatching(
      /^rejected-tokens\.json in .* was damaged \(not valid JSON\); the damaged copy is kept as rejected-tokens\.json\.damaged-.*\. 2 rejected tokens were recovered/,
    ),
  ]);
  expect([tokens[0], tokens[1]].map((t) => reopened.has(t as Token))).toEqual([true, true]);
  const files = await readdir(dir);
  const copy = files.find((f) => f.startsWith('rejected-tokens.json.damaged-')) as string;
  expect(await readFile(join(dir, copy), 'utf8')).toBe(whole.slice(0, whole.length - 20));
  // What was recovered is on disk again: a second restart reports nothing and keeps it.
  const again: string[] = [];
  const third = await KnownBadTokens.open(dir, scope, (p) => again.push(p));
  expect(again).toEqual([]);
  expect(third.has(tokens[0] as Token)).toBe(true);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
});

test('a file of the wrong shape is reported and kept too, not silently emptied', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'htm-known-bad-'));
  await writeFile(join(dir, 'rejected-tokens.json'), '{"hashes": 3}\n');
  const problems: string[] = [];

  await KnownBadTokens.open(dir, 'http://ha', (p) => problems.push(p));

  expect(problems).toEqual([expect.stringMatching(/not a list of SHA-256 hashes.*kept as/)]);
  expect((await readdir(dir)).some((f) => f.includes('.damaged-'))).toBe(true);
});
