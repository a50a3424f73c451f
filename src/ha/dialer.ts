import {
  ERR_CANNOT_CONNECT,
  ERR_INVALID_AUTH,
  type HaWebSocket,
} from 'home-assistant-js-websocket';
import type { Clock } from '../clock.js';
import { HaUnavailableError, MalformedTokenError, TokenRejectedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Token } from '../tokens/token.js';
import type { TokenManager } from '../tokens/token-manager.js';
import type { ReachabilityProbe } from './reachability.js';
import type { OpenSocketOptions } from './socket.js';

/** Opens and authenticates one socket (socket.ts `openSocket`, bound to the URL). */
export type Authenticate = (
  token: Token,
  hooks: Pick<OpenSocketOptions, 'mayAuthenticate' | 'onAuthOk' | 'onAuthInvalid'>,
) => Promise<HaWebSocket>;

/** What the dialer reports while it waits; the connection turns these into status. */
export interface DialEvents {
  /** No token may be sent: rejected or malformed (`retryAt` undefined: only a new token helps), or the source failed. */
  noToken(error: unknown, retryAt: number | undefined): void;
  /** Home Assistant does not accept connections; the probe keeps asking. */
  unreachable(): void;
  /** Home Assistant accepted the connection but the socket did not authenticate. */
  failed(reason: string, retryAt: number): void;
}

export interface DialerOptions {
  tokens: TokenManager;
  authenticate: Authenticate;
  reachable: ReachabilityProbe;
  events: DialEvents;
  clock: Clock;
  log: Logger;
  /** Between readiness probes while Home Assistant is away. */
  probeIntervalMs: number;
  /** How long a reconnect waits for the re-read of the source when a usable token is cached. */
  rereadWaitMs: number;
  /** After consecutive failures that a probe cannot detect (socket, source): the n-th waits the n-th. */
  retryDelaysMs: readonly number[];
}

/**
 * The longest wait between tries, as home-assistant-js-websocket's own retry
 * (min(tries, 5) s, lib/connection.ts `_handleClose`): behind a reverse proxy
 * the probe succeeds while Home Assistant is down, so these delays are all
 * that paces the tries, and Home Assistant coming back must not wait longer.
 */
export const MAX_RETRY_DELAY_MS = 5000;

type Outcome = { kind: 'ok'; token: Token } | { kind: 'failed'; error: unknown } | { kind: 'late' };

/**
 * The one place that decides when to try Home Assistant again. It is the
 * `createSocket` of home-assistant-js-websocket's Connection, so the library
 * calls it for the first socket and after every drop; it resolves only with
 * an authenticated socket on the token manager's current token.
 *
 * Why we own the timing and not the library: after a drop the library calls
 * `createSocket` after min(tries, 5) s, forever (lib/connection.ts
 * `_handleClose`), a fixed cadence with no hook for a readiness check — so a
 * Home Assistant that is back waits up to 5 s, and each of its tries is a full
 * WebSocket upgrade. This dialer never fails back to the library while
 * running (it waits inside instead), so the library's cadence and attempt
 * count never come into play; the library keeps what it is good at: the
 * Connection object, in-flight commands and re-subscriptions. It rejects
 * only when stopped, with ERR_CANNOT_CONNECT, after which the library's
 * retry finds the connection closed and ends (lib/connection.ts checks
 * `closeRequested`).
 */
export class Dialer {
  readonly #o: DialerOptions;
  readonly #tokenOf = new WeakMap<HaWebSocket, Token>();
  #stopped = false;
  #wake: (() => void) | undefined;
  #reread: { startedAt: number; outcome: Promise<Outcome> } | undefined;

  constructor(options: DialerOptions) {
    this.#o = options;
  }

  /** The token `socket` authenticated with. */
  tokenOf(socket: HaWebSocket | undefined): Token | undefined {
    return socket ? this.#tokenOf.get(socket) : undefined;
  }

  /** Ends a wait early: a new token arrived, or the dialer stops. */
  wake(): void {
    this.#wake?.();
  }

  stop(): void {
    this.#stopped = true;
    this.wake();
  }

  /**
   * The connection dropped: start re-reading the source now, while Home
   * Assistant is away, so that a token rotated and revoked outside is
   * replaced before the revoked one is sent again (a failed login in HA).
   */
  rereadBeforeNextSocket(): void {
    this.#reread = {
      startedAt: this.#o.clock.now(),
      outcome: settle(this.#o.tokens.load()),
    };
  }

  async dial(): Promise<HaWebSocket> {
    const { tokens, reachable, events, clock } = this.#o;
    let failures = 0;
    let reportedUnreachable = false;
    for (;;) {
      if (this.#stopped) throw ERR_CANNOT_CONNECT;
      let token: Token;
      // First whether Home Assistant is there at all: while it is away, checking
      // a token against it (GET /api/) fails too, and would push the backoff up.
      if (!(await reachable())) {
        // Away, not failing: once it answers again, tries start over from the shortest wait.
        failures = 0;
        if (!reportedUnreachable) events.unreachable();
        reportedUnreachable = true;
        await this.#sleep(this.#o.probeIntervalMs);
        continue;
      }
      reportedUnreachable = false;
      try {
        token = await this.#tokenForSocket();
      } catch (error) {
        const rejected =
          error instanceof TokenRejectedError || error instanceof MalformedTokenError;
        const delay = rejected ? undefined : this.#delay(failures++);
        events.noToken(error, delay === undefined ? undefined : clock.now() + delay);
        await this.#sleep(delay);
        continue;
      }
      if (this.#stopped) throw ERR_CANNOT_CONNECT;
      let socket: HaWebSocket;
      try {
        socket = await this.#o.authenticate(token, {
          // Checked right before the token is sent: HA may have rejected it over
          // REST meanwhile, or the token manager adopted a newer one.
          mayAuthenticate: () => !tokens.isKnownBad(token) && this.#isCurrent(token),
          onAuthOk: () => tokens.confirm(token),
          onAuthInvalid: (message) => tokens.reject(token, `WebSocket auth_invalid: ${message}`),
        });
      } catch (error) {
        // The token manager knows of a rejection (or a newer token); the next pass asks it again.
        if (error === ERR_INVALID_AUTH) continue;
        const delay = this.#delay(failures++);
        events.failed(`Could not open a WebSocket to Home Assistant`, clock.now() + delay);
        await this.#sleep(delay);
        continue;
      }
      if (this.#stopped) {
        socket.close();
        throw ERR_CANNOT_CONNECT;
      }
      if (!this.#isCurrent(token)) {
        // A newer token was adopted while this socket authenticated: it must not win.
        socket.close();
        continue;
      }
      this.#tokenOf.set(socket, token);
      return socket;
    }
  }

  /**
   * The token for the next socket, without waiting long on the source when a
   * usable token is cached. Trade-off: a source that answers within
   * `rereadWaitMs` of the drop still replaces a token rotated and revoked
   * outside before it is re-sent; one that is slower (SSM during an internet
   * outage, while Home Assistant is local) does not hold the reconnect — the
   * cached token is sent, which costs one failed login in HA only if it was
   * revoked meanwhile, and the read carries on: a new token it brings
   * replaces the socket's (the connection listens to the token manager).
   */
  async #tokenForSocket(): Promise<Token> {
    const { tokens, clock, rereadWaitMs, log } = this.#o;
    const reread = this.#reread;
    this.#reread = undefined;
    const cached = this.#usableCached();
    // Nothing else could be sent: wait for the source (its calls have their own timeouts).
    if (!cached) return tokens.current();
    const startedAt = reread?.startedAt ?? clock.now();
    let outcome = await within(
      reread?.outcome ?? settle(tokens.current()),
      startedAt + rereadWaitMs - clock.now(),
    );
    if (outcome.kind === 'failed' && outcome.error instanceof HaUnavailableError) {
      // It ran while Home Assistant was away (a new token could not be checked): once more.
      outcome = await within(settle(tokens.load()), rereadWaitMs);
    }
    if (outcome.kind === 'ok' && !tokens.isKnownBad(outcome.token)) return outcome.token;
    const fallback = this.#usableCached();
    if (!fallback) return tokens.current();
    if (outcome.kind === 'late') {
      log.warning(
        `The token source did not answer within ${rereadWaitMs} ms; reconnecting with the cached token ${fallback.masked}`,
      );
    }
    return fallback;
  }

  #usableCached(): Token | undefined {
    const cached = this.#o.tokens.peek();
    return cached && !this.#o.tokens.isKnownBad(cached) ? cached : undefined;
  }

  #isCurrent(token: Token): boolean {
    const latest = this.#o.tokens.peek();
    return latest === undefined || latest.equals(token);
  }

  #delay(failures: number): number {
    const delays = this.#o.retryDelaysMs;
    return Math.min(delays[Math.min(failures, delays.length - 1)] ?? 1000, MAX_RETRY_DELAY_MS);
  }

  /** Waits `ms`, or until woken; with `ms` undefined, only until woken. */
  #sleep(ms: number | undefined): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        if (this.#wake === finish) this.#wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(finish, ms);
      this.#wake = finish;
    });
  }
}

function settle(read: Promise<Token>): Promise<Outcome> {
  return read.then(
    (token) => ({ kind: 'ok', token }),
    (error: unknown) => ({ kind: 'failed', error }),
  );
}

/** `outcome`, or 'late' after `ms` (an outcome already settled wins even at 0 ms). */
function within(outcome: Promise<Outcome>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'late' }), Math.max(0, ms));
  });
  return Promise.race([outcome, late]).finally(() => clearTimeout(timer));
}
