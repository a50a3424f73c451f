import { describe, expect, test } from 'vitest';
import { describeError, redact, registerSecret } from '../../src/log.js';
import { jwt, memoryLogger } from '../support/fakes.js';

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
