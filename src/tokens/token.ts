import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { MalformedTokenError } from '../errors.js';
import { registerSecret } from '../log.js';

const MAX_LENGTH = 4096;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

interface Claims {
  iss?: string;
  iat?: number;
  exp?: number;
}

/**
 * A Home Assistant access token. Its string, JSON and inspect forms are the
 * masked form, so a careless log line or response cannot leak it; `reveal()`
 * is the one way to the value, used only where it is sent to Home Assistant.
 */
export class Token {
  readonly #value: string;
  /** Last four characters at most, e.g. `••••x9Qk`. */
  readonly masked: string;
  /** Short, stable hash prefix: tells tokens apart without showing them. */
  readonly fingerprint: string;
  /** The JWT `iss` claim: for HA tokens, the id of the refresh token behind it. */
  readonly refreshTokenId: string | undefined;
  readonly issuedAt: Date | undefined;
  readonly expiresAt: Date | undefined;

  private constructor(value: string, claims: Claims) {
    this.#value = value;
    registerSecret(value, this); // forgotten with this object
    this.masked = `••••${value.slice(-4)}`;
    this.fingerprint = fingerprintOf(value);
    this.refreshTokenId = typeof claims.iss === 'string' ? claims.iss : undefined;
    this.issuedAt = typeof claims.iat === 'number' ? new Date(claims.iat * 1000) : undefined;
    this.expiresAt = typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined;
  }

  /**
   * Checks the shape of a candidate token before it is sent anywhere. HA tokens
   * are JWTs (homeassistant/auth/__init__.py `async_create_access_token`): three
   * base64url segments, a JSON header and JSON claims with `iss`, `iat`, `exp`.
   * Surrounding whitespace (a pasted newline) is dropped; anything else wrong is
   * refused with a reason that never echoes the value.
   * @param origin where the value came from, for the message ("the access_token option")
   */
  static parse(raw: unknown, origin: string, now: Date = new Date()): Token {
    const refuse = (why: string): never => {
      throw new MalformedTokenError(`The token in ${origin} ${why}`);
    };
    if (typeof raw !== 'string') return refuse('is not text.');
    const value = raw.trim();
    if (value === '')
      return refuse(
        'is empty. Paste a long-lived access token from your Home Assistant profile page.',
      );
    if (value.length > MAX_LENGTH)
      return refuse(`is ${value.length} characters long; Home Assistant tokens are a few hundred.`);
    if (/\s/.test(value))
      return refuse('contains spaces or line breaks; copy the token again as one line.');
    const segments = value.split('.');
    if (segments.length !== 3 || !segments.every((s) => SEGMENT.test(s))) {
      return refuse(
        'is not shaped like a Home Assistant token (three base64url parts separated by dots).',
      );
    }
    const header = decodeJson(segments[0] as string);
    const claims = decodeJson(segments[1] as string) as Claims | undefined;
    if (header === undefined || claims === undefined) {
      return refuse('is not a Home Assistant token: its parts do not decode to JSON.');
    }
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= now.getTime()) {
      return refuse(
        `expired on ${new Date(claims.exp * 1000).toISOString()}. Create a new long-lived access token.`,
      );
    }
    return new Token(value, claims);
  }

  reveal(): string {
    return this.#value;
  }

  equals(other: Token | undefined): boolean {
    return (
      other !== undefined && other.fingerprint === this.fingerprint && other.#value === this.#value
    );
  }

  toString(): string {
    return this.masked;
  }

  toJSON(): string {
    return this.masked;
  }

  [inspect.custom](): string {
    return `Token(${this.masked} ${this.fingerprint})`;
  }
}

export function fingerprintOf(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

function decodeJson(segment: string): unknown {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
