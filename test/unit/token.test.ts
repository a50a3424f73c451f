import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { MalformedTokenError } from '../../src/errors.js';
import { Token } from '../../src/tokens/token.js';
import { jwt } from '../support/fakes.js';

describe('Token', () => {
  test('masks itself in every string form, keeping at most the last four characters', () => {
    const value = jwt();
    const token = Token.parse(value, 'the test');

    for (const text of [String(token), `${token}`, JSON.stringify({ token }), inspect(token)]) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(value.slice(-5));
    }
    expect(token.masked).toBe(`••••${value.slice(-4)}`);
    expect(token.reveal()).toBe(value);
  });

  test('has a short fingerprint that is stable per token and differs between tokens', () => {
    const a = Token.parse(jwt(), 'x');
    const b = Token.parse(jwt(), 'x');
    const c = Token.parse(jwt({ iss: 'other' }), 'x');

    expect(a.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  test('reads the refresh-token id and times from the claims', () => {
    const token = Token.parse(jwt({ iss: 'rt-id', iat: 1_700_000_000, exp: 4_000_000_000 }), 'x');

    expect(token.refreshTokenId).toBe('rt-id');
    expect(token.issuedAt?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(token.expiresAt?.getTime()).toBe(4_000_000_000_000);
  });

  test('drops surrounding whitespace from a pasted value', () => {
    const value = jwt();
    expect(Token.parse(`  ${value}\n`, 'x').reveal()).toBe(value);
  });

  test.each([
    ['empty', '', /is empty/],
    ['only whitespace', '  \n ', /is empty/],
    ['not text', 42, /is not text/],
    ['inner whitespace', `${jwt()} ${jwt()}`, /spaces or line breaks/],
    ['two segments', 'abc.def', /three base64url parts/],
    ['bad characters', 'a$c.def.ghi', /three base64url parts/],
    ['not JSON inside', 'aaaa.bbbb.cccc', /do not decode to JSON/],
    ['too long', `${jwt()}${'a'.repeat(5000)}`, /characters long/],
    ['expired', jwt({ exp: 1_000_000_000 }), /expired on 2001-09-09/],
  ])(
    'refuses a value that is %s, naming where it came from and never echoing it',
    (_what, raw, reason) => {
      const parse = () => Token.parse(raw, 'the access_token option');

      expect(parse).toThrow(MalformedTokenError);
      expect(parse).toThrow(reason);
      expect(parse).toThrow(/^The token in the access_token option /);
      if (typeof raw === 'string' && raw.trim().length > 3) {
        expect(() => parse()).not.toThrow(raw.trim().slice(0, 20));
      }
    },
  );
});
