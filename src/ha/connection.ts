import { type Connection, createConnection, ERR_INVALID_AUTH } from 'home-assistant-js-websocket';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import type { Token } from '../tokens/token.js';
import type { TokenManager } from '../tokens/token-manager.js';
import { ConnectionReport } from './connection-report.js';
import { type Authenticate, Dialer } from './dialer.js';
import { Heartbeat } from './heartbeat.js';
import { createTcpProbe, type ReachabilityProbe } from './reachability.js';
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
  /** Between readiness probes (TCP connects) while Home Assistant is away. */
  probeIntervalMs?: number;
  /** How long a reconnect waits on the source before it uses a cached, unrejected token. */
  rereadWaitMs?: number;
  /** After consecutive failures a probe cannot see (socket refused after connect, source down). */
  retryDelaysMs?: readonly number[];
  /** Edges, for tests: the readiness probe and the socket opener. */
  reachable?: ReachabilityProbe;
  authenticate?: Authenticate;
}

// 200 ms: a Home Assistant that is back is found within 0.1 s on average, at
// the cost of five refused TCP connects a second while it is away.
const PROBE_INTERVAL_MS = 200;
const REREAD_WAIT_MS = 2000;
const RETRY_DELAYS_MS = [250, 1000, 2000, 5000]; // at most MAX_RETRY_DELAY_MS (dialer.ts)

/**
 * Holds one authenticated WebSocket connection to Home Assistant
 * (docs/connection.md). home-assistant-js-websocket owns the Connection
 * object — commands, re-subscriptions, the trigger to reconnect after a drop;
 * the Dialer (dialer.ts, the library's `createSocket`) owns when and with
 * which token to try. This class wires the two, reports (connection-report.ts),
 * keeps the socket on the token manager's current token, and adds the
 * heartbeat the library lacks.
 */
export class HaConnection {
  readonly #o: HaConnectionOptions;
  readonly #wsUrl: string;
  readonly #dialer: Dialer;
  readonly #heartbeat: Heartbeat;
  readonly #report: ConnectionReport;
  #conn: Connection | undefined;
  #running = false;
  #reconnects = 0;
  /** The token of the socket the library holds now. */
  #socketToken: Token | undefined;
  /** Set while we drop the socket ourselves to change tokens: not a lost connection. */
  #switching = false;

  constructor(options: HaConnectionOptions) {
    this.#o = options;
    this.#report = new ConnectionReport(options);
    const ws = new URL(options.url);
    ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
    ws.pathname = `${ws.pathname.replace(/\/$/, '')}/api/websocket`;
    this.#wsUrl = ws.toString();
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const authenticate: Authenticate =
      options.authenticate ??
      ((token, hooks) =>
        openSocket(this.#wsUrl, token, {
          timeoutMs: connectTimeoutMs,
          log: options.log,
          ...hooks,
        }));
    this.#dialer = new Dialer({
      tokens: options.tokens,
      authenticate,
      reachable: options.reachable ?? createTcpProbe(options.url),
      events: {
        noToken: (error, retryAt) => this.#report.noToken(error, retryAt),
        unreachable: () =>
          this.#report.problem(
            `Home Assistant at ${options.url} does not accept connections; checking every ${options.probeIntervalMs ?? PROBE_INTERVAL_MS} ms`,
            undefined,
          ),
        failed: (reason, retryAt) => this.#report.problem(`${reason} at ${this.#wsUrl}`, retryAt),
      },
      clock: options.clock,
      log: options.log,
      probeIntervalMs: options.probeIntervalMs ?? PROBE_INTERVAL_MS,
      rereadWaitMs: options.rereadWaitMs ?? REREAD_WAIT_MS,
      retryDelaysMs: options.retryDelaysMs ?? RETRY_DELAYS_MS,
    });
    this.#heartbeat = new Heartbeat({
      intervalMs: options.pingIntervalMs ?? 30_000,
      timeoutMs: options.pingTimeoutMs ?? 10_000,
      clock: options.clock,
      log: options.log,
      onPong: (rttMs) => this.#report.pong(rttMs),
      onMissed: () => this.#report.missedPong(),
    });
    options.tokens.onChange((token) => this.#onNewToken(token));
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
    this.#report.starting();
    void this.#open();
  }

  /** Proves `token` authenticates on a WebSocket of its own, then closes it. */
  async verify(token: Token): Promise<void> {
    const { connectTimeoutMs = 10_000, log } = this.#o;
    try {
      const socket = await openSocket(this.#wsUrl, token, { timeoutMs: connectTimeoutMs, log });
      socket.close();
    } catch (error) {
      throw new Error(
        error === ERR_INVALID_AUTH
          ? `Home Assistant rejected token ${token.masked} on the WebSocket`
          : `Could not open a WebSocket to check token ${token.masked}`,
      );
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#dialer.stop();
    this.#heartbeat.stop();
    this.#conn?.close();
    this.#conn = undefined;
  }

  /** One Connection for the process's life, unless the library declares it dead. */
  async #open(): Promise<void> {
    let conn: Connection;
    try {
      conn = await createConnection({ setupRetry: 0, createSocket: () => this.#dialer.dial() });
    } catch (error) {
      if (!this.#running) return; // the dialer gives up only when stopped
      this.#running = false; // /health fails and the watchdog restarts the add-on
      this.#o.log.fatal('The connection to Home Assistant could not be set up', error);
      return;
    }
    if (!this.#running) {
      conn.close();
      return;
    }
    this.#conn = conn;
    conn.addEventListener('ready', () => this.#onReady(conn));
    conn.addEventListener('disconnected', () => this.#onDisconnected(conn));
    conn.addEventListener('reconnect-error', () => {
      // The library fires this only when createSocket rejects with ERR_INVALID_AUTH,
      // which the dialer never does; were it to, this Connection is dead for good.
      if (conn !== this.#conn) return;
      this.#o.log.warning('The WebSocket library gave up reconnecting; starting a new connection');
      this.#conn = undefined;
      conn.close();
      void this.#open();
    });
    this.#heartbeat.start(conn, () => conn === this.#conn);
    this.#onReady(conn); // the first `ready` fired inside the constructor, before we listened
  }

  /** The token manager adopted a new token (refresh job, reactive re-read, rotation). */
  #onNewToken(token: Token): void {
    const conn = this.#conn;
    if (!conn?.connected) {
      // A dial in progress re-checks the token before sending it and after auth_ok;
      // one that waits (unauthorized, between attempts) tries the new token now.
      this.#dialer.wake();
      return;
    }
    if (token.equals(this.#socketToken)) return;
    this.#switchTo(conn, token);
  }

  #switchTo(conn: Connection, token: Token): void {
    this.#report.switching(token);
    this.#switching = true;
    conn.reconnect(true); // the library calls the dialer again, which takes the current token
  }

  /** Called for the first socket and after every reconnect. */
  #onReady(conn: Connection): void {
    if (conn !== this.#conn) return;
    const token = this.#dialer.tokenOf(conn.socket);
    this.#socketToken = token;
    const latest = this.#o.tokens.peek();
    if (token && latest && !latest.equals(token)) {
      // Adopted between auth_ok and the library taking the socket: never stay on the old one.
      this.#switchTo(conn, latest);
      return;
    }
    this.#report.connected(conn.haVersion, token, this.#reconnects);
    void this.#heartbeat.ping(conn, () => conn === this.#conn);
  }

  #onDisconnected(conn: Connection): void {
    if (conn !== this.#conn) return;
    this.#socketToken = undefined;
    if (this.#switching) {
      this.#switching = false;
      this.#report.switched();
      return;
    }
    this.#reconnects++;
    this.#dialer.rereadBeforeNextSocket();
    this.#report.lost(this.#reconnects);
  }
}
