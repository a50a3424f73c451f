import { inspect } from 'node:util';
import { TokenExpiredError, TokenRejectedError } from './errors.js';
import { retryDelay, trustedUntil } from './freshness.js';
import { haFetch, type RequestOptions, requestInit } from './ha-fetch.js';
import { jwtExpiry } from './jwt.js';
import type { Clock, Logger, TokenClientOptions } from './options.js';
import { RejectedTokens } from './rejected.js';
import {
  defaultSsmClient,
  extensionPort,
  type ParameterValue,
  readViaExtension,
  readViaSdk,
  type SsmLike,
} from './ssm-reader.js';

interface Entry {
  readonly token: string;
  readonly version: number | undefined;
  /** Epoch ms after which the cached copy is read again. */
  readonly freshUntil: number;
  /** Epoch ms (`exp` minus the buffer) until which it may stand in while SSM can't be read. */
  readonly usableUntil: number;
}

/** After SSM returned a rejected token, don't read it again sooner than this. */
const REJECTED_RETRY_MS = 1_000;

/**
 * Reads a managed Home Assistant token from SSM and keeps a copy in memory:
 * trusted for `ttlMs`, never past its own `exp` minus `expiryBufferMs`, one
 * SSM read however many callers wait, dropped at the first 401. Create it at
 * module level in a Lambda so warm invocations reuse the cache.
 */
export class TokenClient {
  readonly parameter: string;
  readonly haUrl: string | undefined;
  readonly #ssm: SsmLike;
  readonly #region: string | undefined;
  readonly #ttlMs: number;
  readonly #bufferMs: number;
  readonly #extensionPort: number | undefined;
  readonly #sessionToken: string | undefined;
  readonly #refreshAhead: boolean;
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;
  readonly #onError: (error: unknown) => void;
  readonly #logger: Logger;
  readonly #rejected = new RejectedTokens();
  #entry: Entry | undefined;
  #inflight: Promise<string> | undefined;
  #inflightFresh: Promise<string> | undefined;
  #rejectedReadAt = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Failed reads in a row, for the backoff. */
  #failures = 0;
  /** SSM reads made (SDK or extension), for tests and metrics. */
  reads = 0;

  constructor(options: TokenClientOptions) {
    const env = options.env ?? process.env;
    this.parameter = options.parameter;
    this.haUrl = options.haUrl?.replace(/\/+$/, '');
    this.#region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    this.#ssm = options.ssm ?? defaultSsmClient(options.region);
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#bufferMs = options.expiryBufferMs ?? 300_000;
    this.#extensionPort = extensionPort(options.extension ?? 'auto', env);
    this.#sessionToken = env.AWS_SESSION_TOKEN;
    this.#refreshAhead = options.refreshAhead ?? false;
    this.#clock = options.clock ?? Date;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#onError = options.onError ?? (() => {});
    this.#logger = options.logger ?? console;
  }

  /** The token: from memory while it is fresh, else one SSM read shared by all waiting callers. */
  async getToken(): Promise<string> {
    const entry = this.#entry;
    if (entry !== undefined && this.#clock.now() < entry.freshUntil) return entry.token;
    return this.#load(false);
  }

  /** Drops the cached copy; the next `getToken()` reads SSM. */
  invalidate(): void {
    this.#entry = undefined;
  }

  /**
   * Records that Home Assistant rejected `token` (a 401): it is never returned
   * or sent again, and if it is the cached one, SSM is read afresh (past the
   * extension, whose cache does not notice changes). Returns the replacement.
   */
  async reject(token: string): Promise<string> {
    this.markRejected(token);
    const entry = this.#entry;
    if (entry !== undefined && this.#clock.now() < entry.freshUntil) return entry.token;
    return this.#load(true);
  }

  /** Records a rejection without reading SSM (a retry was rejected too). */
  markRejected(token: string): void {
    this.#rejected.add(token);
    if (this.#entry?.token === token) this.#entry = undefined;
  }

  /**
   * `fetch` against Home Assistant with the token. On a 401 the token is
   * dropped, SSM is read once more and the request is sent once more; the
   * body must be replayable (a string, not a stream).
   */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return haFetch(this, this.#fetch, this.#baseUrl(), path, init);
  }

  /** `fetch` with a JSON body and method: `request('POST', '/api/services/light/turn_on', { json })`. */
  request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    return haFetch(this, this.#fetch, this.#baseUrl(), path, requestInit(method, options));
  }

  #baseUrl(): string {
    if (!this.haUrl)
      throw new TypeError(
        'TokenClient needs haUrl for fetch() and request() (Home Assistant base URL)',
      );
    return this.haUrl;
  }

  /** Stops the background refresh; the client still answers from SSM afterwards. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #load(fresh: boolean): Promise<string> {
    // One read in flight per kind: a read after a rejection must not be
    // answered by the extension's cache, so it never joins a plain read.
    if (fresh) {
      this.#inflightFresh ??= this.#read(true).finally(() => {
        this.#inflightFresh = undefined;
      });
      return this.#inflightFresh;
    }
    this.#inflight ??= this.#read(false).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #read(fresh: boolean): Promise<string> {
    try {
      const token = await this.#readOnce(fresh);
      this.#failures = 0;
      return token;
    } catch (error) {
      this.#failures++;
      return this.#standIn(error);
    }
  }

  /**
   * SSM is down, slow or throttling: the cached token is still valid until
   * `exp` minus the buffer, so it keeps answering, the error is reported, and
   * SSM is read again after a backoff rather than on every call. A rejected
   * token, or none worth using, leaves the error to the caller.
   */
  #standIn(error: unknown): string {
    const entry = this.#entry;
    const now = this.#clock.now();
    if (error instanceof TokenRejectedError || entry === undefined || now >= entry.usableUntil)
      throw error;
    const delay = this.#retryDelay();
    this.#entry = { ...entry, freshUntil: Math.min(now + delay, entry.usableUntil) };
    this.#logger.warn(
      `ha-token-client: ${error instanceof Error ? error.message : String(error)} Using the cached token (valid until ${new Date(entry.usableUntil).toISOString()}); next read in ${delay / 1000} s.`,
    );
    this.#onError(error);
    this.#schedule(delay);
    return entry.token;
  }

  #retryDelay(): number {
    return retryDelay(this.#failures);
  }

  async #readOnce(fresh: boolean): Promise<string> {
    if (!fresh && this.#clock.now() - this.#rejectedReadAt < REJECTED_RETRY_MS)
      throw this.#rejectedError();
    const { value, version } = await this.#fetchParameter(fresh);
    const now = this.#clock.now();
    if (this.#rejected.has(value)) {
      this.#rejectedReadAt = now;
      throw this.#rejectedError();
    }
    const exp = jwtExpiry(value);
    const expMs = exp === undefined ? Number.POSITIVE_INFINITY : exp * 1000;
    if (expMs <= now)
      throw new TokenExpiredError(
        `The token in SSM parameter ${this.parameter} expired at ${new Date(expMs).toISOString()}. Rotate it in the HA Token Manager add-on (Rotate now), or raise its token_lifespan_days.`,
        this.parameter,
      );
    const freshUntil = trustedUntil(now, expMs, this.#ttlMs, this.#bufferMs);
    this.#entry = { token: value, version, freshUntil, usableUntil: expMs - this.#bufferMs };
    // Re-read at 80% of the lifetime so callers never wait on SSM.
    this.#schedule(Math.max(1_000, (freshUntil - now) * 0.8));
    return value;
  }

  async #fetchParameter(fresh: boolean): Promise<ParameterValue> {
    this.reads++;
    if (this.#extensionPort !== undefined && !fresh) {
      try {
        const cached = await readViaExtension(
          this.#extensionPort,
          this.parameter,
          this.#sessionToken,
          this.#fetch,
        );
        // The extension's cache doesn't notice changes (up to its TTL): a token Home
        // Assistant rejected may already be replaced in SSM, so ask SSM itself.
        if (!this.#rejected.has(cached.value)) return cached;
      } catch {
        // The extension is an optimisation: the SDK answers, with errors that say what to fix.
      }
    }
    return readViaSdk(this.#ssm, this.parameter, this.#region);
  }

  #schedule(delayMs: number): void {
    if (!this.#refreshAhead || this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#load(false).catch((error: unknown) => {
        // No cached token to stand in: report, and try again later rather than never.
        this.#onError(error);
        this.#schedule(this.#retryDelay());
      });
    }, delayMs);
    this.#timer.unref?.();
  }

  #rejectedError(): TokenRejectedError {
    return new TokenRejectedError(
      `Home Assistant rejected the token in SSM parameter ${this.parameter}, and SSM still holds it. The HA Token Manager add-on publishes a working token when it notices; if this persists, check the add-on's status page.`,
      this.parameter,
    );
  }

  /** The cached token's masked form and version, for logs and status pages. */
  describe(): { parameter: string; version: number | undefined; masked: string | undefined } {
    const entry = this.#entry;
    return {
      parameter: this.parameter,
      version: entry?.version,
      masked: entry ? `••••${entry.token.slice(-4)}` : undefined,
    };
  }

  toJSON(): object {
    return this.describe();
  }

  [inspect.custom](): string {
    return `TokenClient ${inspect(this.describe())}`;
  }
}
