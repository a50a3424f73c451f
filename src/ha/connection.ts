import {
  type Connection,
  createConnection,
  ERR_CANNOT_CONNECT,
  ERR_INVALID_AUTH,
  type HaWebSocket,
} from 'home-assistant-js-websocket';
import type { Clock } from '../clock.js';
import {
  HaUnavailableError,
  MalformedTokenError,
  SourceError,
  TokenRejectedError,
} from '../errors.js';
import { describeError, type Logger } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import type { Token } from '../tokens/token.js';
import type { TokenManager } from '../tokens/token-manager.js';
import { openSocket } from './socket.js';

export interface HaConnectionOptions {
  url: string;
  tokens: TokenManager;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  /** Heartbeat period; a ping unanswered within `pingTimeoutMs` forces a reconnect. */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Delays between our own connection attempts (the library's reconnects are its own). */
  retryDelaysMs?: readonly number[];
  random?: () => number;
}

const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15_000, 30_000];

/**
 * Holds one live, authenticated WebSocket connection to Home Assistant
 * (DESIGN.md C4). home-assistant-js-websocket reconnects by itself after a
 * drop (0, 1, 2 … 5 s, forever); this class starts it, reports what it does,
 * adds the heartbeat the library lacks, and — when the library gives up on a
 * rejected token (`reconnect-error`) — builds a new connection with whatever
 * token the token manager has now.
 */
export class HaConnection {
  readonly #o: Required<Omit<HaConnectionOptions, 'random'>> & { random: () => number };
  readonly #wsUrl: string;
  #conn: Connection | undefined;
  #running = false;
  #attempt = 0;
  #libraryAttempts = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #reconnects = 0;
  /** The token of the socket that is open now. */
  #socketToken: Token | undefined;
  /** Set by a drop: the next socket re-reads the source first, so a token rotated
   * and revoked outside is replaced before the revoked one is ever re-sent. */
  #reloadBeforeNextSocket = false;

  constructor(options: HaConnectionOptions) {
    this.#o = {
      pingIntervalMs: 30_000,
      pingTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
      random: Math.random,
      ...options,
    };
    const ws = new URL(options.url);
    ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
    ws.pathname = `${ws.pathname.replace(/\/$/, '')}/api/websocket`;
    this.#wsUrl = ws.toString();
    this.#o.status.updateConnection({ url: options.url, connected: false, reconnects: 0 });
    options.tokens.onChange((token) => this.#onNewToken(token));
  }

  /** The token manager adopted a new token (refresh job, reactive re-read). */
  #onNewToken(token: Token): void {
    if (!this.#conn) {
      this.#wakeUp(); // waiting as unauthorized, or between attempts: try it now
    } else if (this.#conn.connected && !token.equals(this.#socketToken)) {
      this.#o.log.info(`Reconnecting with the new token ${token.masked}`);
      this.renew();
    }
    // Otherwise the library is reconnecting and its next socket takes the new token.
  }

  /** The live connection, for commands; undefined while not connected. */
  get connection(): Connection | undefined {
    return this.#conn?.connected ? this.#conn : undefined;
  }

  /** False once stopped; the watchdog's liveness check reads it. */
  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#loop();
  }

  /** Proves `token` authenticates on a WebSocket of its own, then closes it. */
  async verify(token: Token): Promise<void> {
    let socket: HaWebSocket;
    try {
      socket = await openSocket(this.#wsUrl, token, {
        timeoutMs: this.#o.connectTimeoutMs,
        log: this.#o.log,
      });
    } catch (error) {
      throw new Error(
        error === ERR_INVALID_AUTH
          ? `Home Assistant rejected token ${token.masked} on the WebSocket`
          : `Could not open a WebSocket to check token ${token.masked}`,
      );
    }
    socket.close();
  }

  /** Drops the current connection and connects again with the token manager's current token. */
  renew(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.close();
    this.#attempt = 0;
    this.#wakeUp();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    this.#wakeUp();
    this.#conn?.close();
    this.#conn = undefined;
  }

  async #loop(): Promise<void> {
    try {
      while (this.#running) {
        const waitMs = await this.#connectOnce();
        if (!this.#running) break;
        await this.#sleep(waitMs);
      }
    } catch (error) {
      // Not expected; if it happens, /health fails and the watchdog restarts the add-on.
      this.#running = false;
      this.#o.log.fatal('The connection loop failed', error);
    }
  }

  /** One attempt to connect; says how long to wait before the next. */
  async #connectOnce(): Promise<number | undefined> {
    const { status, tokens, log } = this.#o;
    if (status.state !== 'unauthorized')
      status.setState('connecting', `Connecting to Home Assistant at ${this.#o.url}.`);
    try {
      await tokens.current();
    } catch (error) {
      return this.#tokenProblem(error);
    }
    this.#libraryAttempts = 0;
    let conn: Connection;
    try {
      conn = await createConnection({ setupRetry: 0, createSocket: () => this.#createSocket() });
    } catch (error) {
      if (error === ERR_INVALID_AUTH) return 0; // the token manager knows; the next pass reports it
      return this.#retryLater(`Home Assistant at ${this.#o.url} is not reachable`, error);
    }
    if (!this.#running) {
      conn.close();
      return undefined;
    }
    this.#attempt = 0;
    const latest = tokens.peek();
    if (latest && !latest.equals(this.#socketToken)) {
      // A new token arrived while this one was connecting: start over with it.
      conn.close();
      return 0;
    }
    this.#conn?.close();
    this.#conn = conn;
    this.#onReady(conn);
    conn.addEventListener('ready', () => this.#onReady(conn));
    conn.addEventListener('disconnected', () => this.#onDisconnected(conn));
    conn.addEventListener('reconnect-error', () => {
      if (conn !== this.#conn) return;
      // The library gave up: this connection object is dead for good.
      log.info('Home Assistant rejected the token on reconnect; starting a new connection');
      if (this.#conn === conn) this.#conn = undefined;
      conn.close();
      this.#wakeUp();
    });
    this.#startHeartbeat(conn);
    return undefined; // until the connection dies for good or renew() is called
  }

  /** Called by the library for the first socket and for every reconnect. */
  async #createSocket(): Promise<HaWebSocket> {
    const { tokens, status, log, clock } = this.#o;
    let token: Token;
    try {
      token = await (this.#reloadBeforeNextSocket ? tokens.load() : tokens.current());
      // Cleared only once a read worked: until then the cached token may be the revoked one.
      this.#reloadBeforeNextSocket = false;
    } catch (error) {
      // A token we may not send is, to the library, a rejected one: stop retrying.
      if (error instanceof TokenRejectedError || error instanceof MalformedTokenError)
        throw ERR_INVALID_AUTH;
      throw ERR_CANNOT_CONNECT;
    }
    if (this.#libraryAttempts++ > 0) {
      // The library's own cadence (lib/connection.ts _handleClose): min(tries, 5) s.
      const next = clock.now() + Math.min(this.#libraryAttempts, 5) * 1000;
      status.updateConnection({ url: this.#o.url, nextAttemptAt: new Date(next).toISOString() });
    }
    try {
      return await openSocket(this.#wsUrl, token, {
        timeoutMs: this.#o.connectTimeoutMs,
        log,
        // HA may have rejected this token (over REST) while the socket was opening.
        mayAuthenticate: () => !tokens.isKnownBad(token),
        onAuthOk: () => {
          this.#socketToken = token;
          tokens.confirm(token);
        },
        onAuthInvalid: (message) => tokens.reject(token, `WebSocket auth_invalid: ${message}`),
      });
    } catch (error) {
      if (error !== ERR_INVALID_AUTH) {
        status.updateConnection({
          url: this.#o.url,
          lastError: `Could not connect to ${this.#wsUrl}`,
          lastErrorAt: new Date(clock.now()).toISOString(),
        });
      }
      throw error;
    }
  }

  #onReady(conn: Connection): void {
    if (conn !== this.#conn) return;
    const { status, clock, log } = this.#o;
    this.#libraryAttempts = 0;
    const now = new Date(clock.now()).toISOString();
    status.updateConnection({
      url: this.#o.url,
      connected: true,
      haVersion: conn.haVersion,
      connectedSince: now,
      nextAttemptAt: undefined,
      reconnects: this.#reconnects,
    });
    status.setState(
      'connected',
      `Connected to Home Assistant ${conn.haVersion} at ${this.#o.url}.`,
    );
    status.event('info', 'connection', `Connected to Home Assistant ${conn.haVersion}`);
    log.info(`Connected to Home Assistant ${conn.haVersion} at ${this.#o.url}`);
    void this.#ping(conn);
  }

  #onDisconnected(conn: Connection): void {
    if (conn !== this.#conn) return;
    const { status, clock, log } = this.#o;
    this.#reconnects++;
    this.#reloadBeforeNextSocket = true;
    status.updateConnection({
      url: this.#o.url,
      connected: false,
      connectedSince: undefined,
      reconnects: this.#reconnects,
      lastError: 'Connection lost',
      lastErrorAt: new Date(clock.now()).toISOString(),
      nextAttemptAt: new Date(clock.now()).toISOString(),
    });
    status.setState(
      'disconnected',
      `Lost the connection to Home Assistant at ${this.#o.url}; reconnecting.`,
    );
    status.event('warning', 'connection', 'Connection to Home Assistant lost; reconnecting');
    log.warning(`Connection to Home Assistant lost; reconnecting`);
  }

  #startHeartbeat(conn: Connection): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (conn !== this.#conn || !conn.connected) return;
      void this.#ping(conn);
    }, this.#o.pingIntervalMs);
    this.#pingTimer.unref();
  }

  /** The library has no dead-peer detection: a missed pong forces a reconnect. */
  async #ping(conn: Connection): Promise<void> {
    const { clock, status, log } = this.#o;
    const started = clock.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#o.pingTimeoutMs);
    });
    try {
      const result = await Promise.race([conn.ping().then(() => 'pong' as const), timeout]);
      if (result === 'timeout') {
        log.warning(`No pong within ${this.#o.pingTimeoutMs} ms; reconnecting`);
        status.event(
          'warning',
          'connection',
          'Home Assistant stopped answering pings; reconnecting',
        );
        if (conn === this.#conn) conn.reconnect(true);
        return;
      }
      status.updateConnection({
        url: this.#o.url,
        pingRttMs: clock.now() - started,
        lastPingAt: new Date(clock.now()).toISOString(),
      });
    } catch (error) {
      log.debug(`Ping failed: ${describeError(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  #tokenProblem(error: unknown): number | undefined {
    const { status, log } = this.#o;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TokenRejectedError || error instanceof MalformedTokenError) {
      status.setState('unauthorized', message);
      status.event('error', 'token', message);
      log.error(message);
      // Only a new token helps; the refresh job or a restart brings one.
      return undefined;
    }
    if (error instanceof HaUnavailableError) return this.#retryLater(message, error);
    if (error instanceof SourceError) return this.#retryLater(message, error);
    return this.#retryLater('Could not get a token', error);
  }

  #retryLater(reason: string, error: unknown): number {
    const { status, log, clock } = this.#o;
    const delays = this.#o.retryDelaysMs;
    const base = delays[Math.min(this.#attempt, delays.length - 1)] ?? 1000;
    this.#attempt++;
    const delay = Math.round(base * (0.8 + 0.4 * this.#o.random()));
    const detail =
      typeof error === 'number' ? '' : error instanceof Error ? '' : ` (${describeError(error)})`;
    const next = new Date(clock.now() + delay).toISOString();
    status.updateConnection({
      url: this.#o.url,
      connected: false,
      lastError: `${reason}${detail}`,
      lastErrorAt: new Date(clock.now()).toISOString(),
      nextAttemptAt: next,
    });
    status.setState(
      'disconnected',
      `${reason.replace(/\.$/, '')}. Next attempt in ${Math.ceil(delay / 1000)} s.`,
    );
    log.warning(
      `${reason}; next attempt in ${delay} ms`,
      typeof error === 'number' ? undefined : error,
    );
    return delay;
  }

  /** Waits `ms`, or until woken (renew, reconnect-error, stop) when `ms` is undefined. */
  #sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        clearTimeout(this.#retryTimer);
        resolve();
      };
      if (ms !== undefined) this.#retryTimer = setTimeout(() => this.#wake?.(), ms);
    });
  }

  /** Ends the loop's wait, if it is waiting. A connect in progress reads the latest token itself. */
  #wakeUp(): void {
    this.#wake?.();
  }
}
