import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  describeError,
  redact,
  registerEnvironmentSecrets,
  registerSecret,
} from '../../src/log.js';
import { jwt, memoryLogger } from '../support/fakes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the logger', () => {
  test('prints one line per event with level and namespace, and honours the level', () => {
    const { log, lines } = memoryLogger();
    const child = log.child('connection');

    child.info('first line\nsecond line');
    child.trace('fine detail');

    expect(lines[0]).toMatch(/^\S+Z INFO \[connection\] first line \| second line$/);
    expect(lines).toHaveLength(2);
  });

  test('redacts tokens in messages, in error messages and in their whole cause chain', () => {
    const token = jwt({ iss: 'leaky' });
    const { log, lines } = memoryLogger();
    const cause = new Error(`request failed with header Authorization: Bearer ${token}`);
    const error = new Error(`could not validate ${token}`, { cause });

    log.error(`token was ${token}`, error);

    expect(lines.join('\n')).not.toContain(token);
    expect(lines.join('\n')).toContain('[redacted');
    expect(lines[0]).toContain('caused by');
  });

  test('redacts registered secrets that do not look like tokens, and key=value secrets', () => {
    registerSecret('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');

    expect(redact('secret key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY used')).toBe(
      'secret key [redacted] used',
    );
    expect(redact('{"access_token":"abc"}')).not.toContain('abc');
    expect(describeError({ password: 'hunter2' })).not.toContain('hunter2');
  });
});

describe('redaction', () => {
  test("the Supervisor's SUPERVISOR_TOKEN (not JWT-shaped) is redacted wherever it turns up", () => {
    // The Supervisor's tokens are 56 hex characters, which no pattern catches.
    const supervisorToken = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8';
    expect(redact(`X-Supervisor-Token ${supervisorToken}`)).toContain(supervisorToken);
    registerEnvironmentSecrets({ SUPERVISOR_TOKEN: supervisorToken });
    const { log, lines } = memoryLogger();
    log.warning('Could not update Home Assistant', new Error(`rejected ${supervisorToken}`));
    expect(lines.join('\n')).not.toContain(supervisorToken);
  });

  test('keeps the words after "token:" in prose, and still redacts quoted or glued values', () => {
    expect(redact('access_token: must be text')).toBe('access_token: must be text');
    expect(redact('refresh_token: is required')).toBe('refresh_token: is required');
    expect(redact('{"access_token": "abc123"}')).toBe('{"access_token": "[redacted]"}');
    expect(redact("{ password: 'hunter2' }")).toBe("{ password: '[redacted]' }");
    expect(redact('url?token=abc123&x=1')).toBe('url?token=[redacted]&x=1');
    expect(redact('token:abc123')).toBe('token:[redacted]');
    expect(redact('Authorization: Bearer abc123')).toBe('Authorization: Bearer [redacted]');
  });

  // Inputs built to make a backtracking pattern quadratic. The version this
  // replaced needed 12 s for 64 kB of letters, so 128 kB would run for about a
  // minute and this test would exceed its timeout; no timing is asserted.
  // bench/redact.ts prints the figures.
  test.each([
    ['one long run of token characters', 'a'.repeat(1 << 17)],
    ['dot-separated segments', 'abcdefg.'.repeat(1 << 14)],
    ['"token" followed by spaces', `token${' '.repeat(1 << 17)}`],
    ['"bearer" followed by spaces', `bearer${' '.repeat(1 << 17)}`],
  ])('redacts 128 kB of %s in one pass', (_name, text) => {
    const out = redact(text);
    expect(out.length).toBeGreaterThan(0);
  });

  test('finds a token at the end of a long run of other text', () => {
    const token = jwt({ iss: 'tail' });
    expect(redact(`${'x'.repeat(1 << 16)} ${token}`)).not.toContain(token);
    expect(redact(`${'x'.repeat(1 << 16)}.${token}`)).not.toContain(token);
  });

  // In a child process with --expose-gc: only there can a test force a collection.
  test('a token is forgotten once no Token object holds it; option secrets are kept', () => {
    const script = `
      const { Token } = await import('./src/tokens/token.ts');
      const { registerSecret, registeredSecretCount, redact } = await import('./src/log.ts');
      const { jwt } = await import('./test/support/fakes.ts');
      registerSecret('an-option-secret-value');
      for (let i = 0; i < 200; i++) Token.parse(jwt({ iss: 'gone' + i }), 'test');
      const kept = Token.parse(jwt({ iss: 'kept' }), 'test');
      const before = registeredSecretCount();
      for (let i = 0; i < 20 && registeredSecretCount() > 2; i++) {
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      console.log(JSON.stringify({ before, after: registeredSecretCount(),
        option: redact('an-option-secret-value'), kept: kept.masked }));
    `;
    const output = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: ROOT, encoding: 'utf8' },
    );

    expect(JSON.parse(output)).toMatchObject({ before: 202, after: 2, option: '[redacted]' });
  });
});
