import type { Clock } from '../clock.js';
import type { CredentialSource, SourceReading } from '../credentials/source.js';
import {
  HaUnavailableError,
  SourceError,
  TokenManagerError,
  TokenRejectedError,
} from '../errors.js';
import type { TokenCheck } from '../ha/rest.js';
import { capitalize, type Logger, messageOf } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import type { KnownBadTokens } from './known-bad.js';
import { Token } from './token.js';
import { TokenValidation } from './validation.js';

export interface TokenManagerOptions {
  source: CredentialSource;
  check: TokenCheck;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  /** How long a read of the source is reused before the source is asked again. */
  ttlMs: number;
  /** The last resort when the source fails and no token worked before (`access_token` for ssm). */
  fallback?: Token;
  /** Reads of the source are at least this far apart, so rejection storms cannot hammer it. */
  minReadIntervalMs?: number;
  /** Where rejected tokens are remembered; memory only when absent. */
  knownBad?: KnownBadTokens;
}

export interface RefreshOutcome {
  ok: boolean;
  message: string;
}

interface Cached {
  token: Token;
  version: number | undefined;
  loadedAt: number;
}

/**
 * The one owner of the credential (docs/connection.md): reads it from the source,
 * checks its shape, validates it once against Home Assistant, caches it with
 * a TTL, and remembers every token Home Assistant rejected so that none is
 * ever sent again — each send of a bad token is a failed login in HA. When
 * the source fails it keeps the last token that worked (then the `fallback`)
 * and says so: state `degraded`.
 */
export class TokenManager {
  readonly #o: TokenManagerOptions;
  #cached: Cached | undefined;
  #inflight: Promise<Token> | undefined;
  /** Which tokens HA accepted and rejected (validation.ts). */
  readonly #validation: TokenValidation;
  readonly #listeners = new Set<(token: Token) => void>();
  #reads = 0;
  #lastReadAt = Number.NEGATIVE_INFINITY;
  #degraded: string | undefined;
  /** The token the source gave last (also while a fallback stands in for it). */
  #fromSource: Token | undefined;

  constructor(options: TokenManagerOptions) {
    this.#o = options;
    this.#validation = new TokenValidation({
      check: options.check,
      status: options.status,
      log: options.log,
      knownBad: options.knownBad,
      remedy: () => this.#remedy(),
      rejected: (token, reason) => this.reject(token, reason),
    });
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

  /** The refresh job: re-read the source, adopt a new valid token, keep the old one otherwise. */
  async refresh(options: { fresh?: boolean } = {}): Promise<RefreshOutcome> {
    const before = this.#cached?.token;
    let token: Token;
    try {
      // `fresh`: a read that starts now, not one in flight since before a change (rotation).
      if (options.fresh && this.#inflight) await this.#inflight.catch(() => undefined);
      token = await this.load();
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    if (this.#degraded) return { ok: false, message: this.#degraded };
    const version = this.#cached?.version === undefined ? '' : ` (version ${this.#cached.version})`;
    if (before?.equals(token))
      return { ok: true, message: `Token ${token.masked}${version} unchanged` };
    return { ok: true, message: `New token ${token.masked}${version} validated and in use` };
  }

  /** Called with each new token that replaces the one in use. */
  onChange(listener: (token: Token) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Home Assistant rejected `token`: never send it again, and drop it from the cache. */
  reject(token: Token, reason: string): void {
    if (this.#validation.isKnownBad(token)) return;
    this.#validation.rejected(token);
    this.#o.status.count('token_rejections');
    if (this.#cached?.token.equals(token)) this.#cached = undefined;
    this.#o.log.warning(
      `Home Assistant rejected token ${token.masked} (${token.fingerprint}): ${reason}`,
    );
    this.#o.status.event(
      'error',
      'token',
      `Home Assistant rejected token ${token.masked}: ${reason}`,
      { kind: 'rejected', credential: 'addon', token: token.masked },
    );
    this.#o.status.patchToken({
      lastError: `Rejected by Home Assistant: ${reason}`,
      // Until the source is read again, it is known to hold this token.
      ...(this.#fromSource?.equals(token) ? { sourceHoldsRejected: token.masked } : {}),
    });
  }

  /** The cached token, without reading anything. */
  peek(): Token | undefined {
    return this.#cached?.token;
  }

  /** Home Assistant just accepted `token` (a WebSocket `auth_ok`). */
  confirm(token: Token): void {
    this.#validation.accepted(token);
    if (this.#cached?.token.equals(token)) {
      this.#o.status.patchToken({ validatedAt: new Date(this.#o.clock.now()).toISOString() });
    }
  }

  isKnownBad(token: Token): boolean {
    return this.#validation.isKnownBad(token);
  }

  #remedy(): string {
    return `Create a new long-lived access token (Home Assistant → your profile → Security → Long-lived access tokens) and ${this.#o.source.remedy}.`;
  }

  async #load(): Promise<Token> {
    const { source, clock } = this.#o;
    const wait = this.#lastReadAt + (this.#o.minReadIntervalMs ?? 1000) - clock.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#lastReadAt = clock.now();
    this.#reads++;
    let reading: SourceReading;
    try {
      reading = await source.read();
      this.#o.status.count('source_reads', 'ok');
    } catch (error) {
      this.#o.status.count('source_reads', 'error');
      return this.#fallBack(messageOf(error), error);
    }
    const origin =
      reading.version === undefined
        ? source.description
        : `${source.description} (version ${reading.version})`;
    let token: Token | undefined;
    try {
      token = Token.parse(reading.value, origin, new Date(clock.now()));
      this.#fromSource = token;
      await this.#validation.validate(token, origin);
      this.#adopt(token, reading);
      return token;
    } catch (error) {
      // HA not answering says nothing about the token: try again later.
      if (error instanceof HaUnavailableError) throw error;
      // The alerts' `rejected` (docs/alerts.md): a flag, whatever the fallback below says.
      this.#o.status.patchToken({
        sourceHoldsRejected:
          token && error instanceof TokenRejectedError ? token.masked : undefined,
      });
      if (!token) this.#fromSource = undefined;
      // A bad new value must not take down a token that works (docs/connection.md).
      return this.#fallBack(messageOf(error), error);
    }
  }

  #adopt(token: Token, reading: SourceReading): void {
    const { source, status, clock } = this.#o;
    const previous = this.#cached?.token;
    const now = clock.now();
    this.#cached = { token, version: reading.version, loadedAt: now };
    this.#setDegraded(undefined);
    status.updateToken({
      source: source.kind,
      sourceDescription: source.description,
      ...describe(token),
      version: reading.version,
      modifiedAt: reading.modifiedAt?.toISOString(),
      loadedAt: new Date(now).toISOString(),
      ...(previous?.equals(token) ? {} : { validatedAt: new Date(now).toISOString() }),
      fallback: undefined,
      lastError: undefined,
      sourceHoldsRejected: undefined,
    });
    if (previous && !previous.equals(token)) {
      const line = `Switched to token ${token.masked}${reading.version ? ` (version ${reading.version})` : ''}`;
      this.#o.log.info(line);
      status.event('info', 'token', line);
    }
    this.#notify(previous, token);
  }

  /** Listeners hear of every token that replaces another — or none, after a rejection cleared the cache. */
  #notify(previous: Token | undefined, token: Token): void {
    if (previous?.equals(token)) return;
    for (const listener of this.#listeners) listener(token);
  }

  /** The source failed: keep the last token that worked, else the configured fallback, else fail. */
  async #fallBack(reason: string, error: unknown): Promise<Token> {
    const { status, clock, log } = this.#o;
    const lastGood = this.#cached?.token;
    if (this.#usable(lastGood) && this.#cached) {
      this.#cached.loadedAt = clock.now(); // ask the source again after the TTL, not on every call
      this.#setDegraded(`${reason} Using the last-known-good token ${lastGood.masked}.`);
      status.patchToken({ fallback: 'last-known-good token', lastError: reason });
      return lastGood;
    }
    const fallback = this.#o.fallback;
    if (this.#usable(fallback)) {
      log.warning(`${reason}; trying the access_token option as a fallback`);
      await this.#validation.validate(fallback, 'the access_token option');
      const previous = this.#cached?.token;
      this.#cached = { token: fallback, version: undefined, loadedAt: clock.now() };
      this.#notify(previous, fallback);
      this.#setDegraded(`${reason} Using the access_token option as a fallback.`);
      status.patchToken({
        ...describe(fallback),
        fallback: 'access_token option',
        lastError: reason,
      });
      return fallback;
    }
    status.patchToken({ lastError: reason });
    if (error instanceof TokenManagerError) throw error;
    throw new SourceError(reason, { cause: error, transient: true });
  }

  #usable(token: Token | undefined): token is Token {
    return token !== undefined && !this.isKnownBad(token);
  }

  #setDegraded(reason: string | undefined): void {
    if (reason === this.#degraded) return;
    if (reason) this.#o.log.warning(reason);
    else if (this.#degraded)
      this.#o.log.info(`${capitalize(this.#o.source.description)} is readable again`);
    if (reason) this.#o.status.event('warning', 'token', reason);
    this.#degraded = reason;
    this.#o.status.setDegraded(reason);
  }
}

function describe(token: Token) {
  return {
    masked: token.masked,
    fingerprint: token.fingerprint,
    issuedAt: token.issuedAt?.toISOString(),
    expiresAt: token.expiresAt?.toISOString(),
  };
}
