import { mkdtemp, readFile, stat } from 'node:fs/promises';
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
