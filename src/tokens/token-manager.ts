import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { CredentialSource, SourceReading } from '../credentials/source.js';
import { TokenRejectedError } from '../errors.js';
import type { TokenCheck } from '../ha/rest.js';
import type { Logger } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import { Token } from './token.js';

export interface TokenManagerOptions {
  source: CredentialSource;
  check: TokenCheck;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  /** How long a read of the source is reused before the source is asked again. */
  ttlMs: number;
}

interface Cached {
  token: Token;
  reading: SourceReading;
  loadedAt: number;
}

/**
 * The one owner of the credential (DESIGN.md C3): reads it from the source,
 * checks its shape, validates it once against Home Assistant, caches it with
 * a TTL, and remembers every token Home Assistant rejected so that none is
 * ever sent again — each send of a bad token is a failed login in HA.
 */
export class TokenManager {
  readonly #o: TokenManagerOptions;
  #cached: Cached | undefined;
  #inflight: Promise<Token> | undefined;
  /** SHA-256 of every token HA rejected; the values themselves are not kept. */
  readonly #knownBad = new Set<string>();
  /** SHA-256 of tokens HA accepted, so a re-read of the same token costs no request. */
  readonly #validated = new Set<string>();
  #reads = 0;

  constructor(options: TokenManagerOptions) {
    this.#o = options;
    options.status.updateToken({
      source: options.source.kind,
      sourceDescription: options.source.description,
    });
  }

  /** Number of source reads so far (single-flight is measured by this). */
  get reads(): number {
    return this.#reads;
  }

  /** The current token: cached while fresh, otherwise read, checked and validated. */
  current(): Promise<Token> {
    const cached = this.#cached;
    if (cached && this.#o.clock.now() - cached.loadedAt < this.#o.ttlMs)
      return Promise.resolve(cached.token);
    return this.load();
  }

  /** Reads the source now, whatever the cache holds. Concurrent callers share one read. */
  load(): Promise<Token> {
    if (!this.#inflight) {
      this.#inflight = this.#load().finally(() => {
        this.#inflight = undefined;
      });
    }
    return this.#inflight;
  }

  /** Home Assistant rejected `token`: never send it again, and drop it from the cache. */
  reject(token: Token, reason: string): void {
    const key = keyOf(token);
    if (this.#knownBad.has(key)) return;
    this.#knownBad.add(key);
    this.#validated.delete(key);
    if (this.#cached?.token.equals(token)) this.#cached = undefined;
    this.#o.log.warning(
      `Home Assistant rejected token ${token.masked} (${token.fingerprint}): ${reason}`,
    );
    this.#o.status.event(
      'error',
      'token',
      `Home Assistant rejected token ${token.masked}: ${reason}`,
    );
    this.#o.status.patchToken({ lastError: `Rejected by Home Assistant: ${reason}` });
  }

  /** Home Assistant just accepted `token` (a WebSocket `auth_ok`). */
  confirm(token: Token): void {
    this.#validated.add(keyOf(token));
    if (this.#cached?.token.equals(token)) {
      this.#o.status.patchToken({ validatedAt: new Date(this.#o.clock.now()).toISOString() });
    }
  }

  isKnownBad(token: Token): boolean {
    return this.#knownBad.has(keyOf(token));
  }

  #remedy(): string {
    return `Create a new long-lived access token (Home Assistant → your profile → Security → Long-lived access tokens) and ${this.#o.source.remedy}.`;
  }

  async #load(): Promise<Token> {
    const { source, check, status, log, clock } = this.#o;
    this.#reads++;
    const reading = await source.read();
    const token = Token.parse(reading.value, source.description, new Date(clock.now()));
    if (this.isKnownBad(token)) {
      throw new TokenRejectedError(
        `${capitalize(source.description)} still holds token ${token.masked}, which Home Assistant rejected. ${this.#remedy()}`,
      );
    }
    const key = keyOf(token);
    if (!this.#validated.has(key)) {
      try {
        await check(token);
      } catch (error) {
        if (!(error instanceof TokenRejectedError)) throw error;
        this.reject(token, 'GET /api/ answered 401');
        throw new TokenRejectedError(`${error.message} ${this.#remedy()}`, { cause: error });
      }
      this.#validated.add(key);
      status.event('info', 'token', `Token ${token.masked} from ${source.description} is valid`);
      log.info(`Validated token ${token.masked} (${token.fingerprint}) from ${source.description}`);
    }
    const previous = this.#cached?.token;
    const now = clock.now();
    this.#cached = { token, reading, loadedAt: now };
    status.updateToken({
      source: source.kind,
      sourceDescription: source.description,
      masked: token.masked,
      fingerprint: token.fingerprint,
      version: reading.version,
      modifiedAt: reading.modifiedAt?.toISOString(),
      issuedAt: token.issuedAt?.toISOString(),
      expiresAt: token.expiresAt?.toISOString(),
      loadedAt: new Date(now).toISOString(),
      ...(previous?.equals(token) ? {} : { validatedAt: new Date(now).toISOString() }),
      lastError: undefined,
    });
    return token;
  }
}

function keyOf(token: Token): string {
  return createHash('sha256').update(token.reveal()).digest('hex');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
