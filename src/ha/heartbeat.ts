import type { Connection } from 'home-assistant-js-websocket';
import type { Clock } from '../clock.js';
import { describeError, type Logger } from '../log.js';

export interface HeartbeatOptions {
  intervalMs: number;
  /** A ping unanswered this long means the peer is gone. */
  timeoutMs: number;
  clock: Clock;
  log: Logger;
  onPong(rttMs: number): void;
  /** The peer missed a pong; the connection has been told to reconnect. */
  onMissed(): void;
}

/**
 * home-assistant-js-websocket has no dead-peer detection: a socket whose peer
 * vanished (a host that lost power, a NAT that forgot us) stays "connected".
 * A ping on a timer, and `reconnect(true)` on a missed pong, which discards
 * the socket without waiting for a close handshake (lib/connection.ts
 * `reconnect(force)`).
 */
export class Heartbeat {
  readonly #o: HeartbeatOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HeartbeatOptions) {
    this.#o = options;
  }

  /** Pings `conn` now and then every interval while it is connected. */
  start(conn: Connection, isCurrent: () => boolean): void {
    this.stop();
    this.#timer = setInterval(() => {
      if (isCurrent() && conn.connected) void this.ping(conn, isCurrent);
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async ping(conn: Connection, isCurrent: () => boolean): Promise<void> {
    const { clock, log, timeoutMs } = this.#o;
    const started = clock.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([conn.ping().then(() => 'pong' as const), timeout]);
      if (result === 'pong') {
        this.#o.onPong(clock.now() - started);
      } else if (isCurrent()) {
        log.warning(`No pong within ${timeoutMs} ms; reconnecting`);
        this.#o.onMissed();
        conn.reconnect(true);
      }
    } catch (error) {
      log.debug(`Ping failed: ${describeError(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
