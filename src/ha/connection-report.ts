import type { Clock } from '../clock.js';
import { MalformedTokenError, TokenRejectedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import type { Token } from '../tokens/token.js';

/** What the connection tells the status model and the log, in one place. */
export class ConnectionReport {
  readonly #url: string;
  readonly #status: StatusModel;
  readonly #log: Logger;
  readonly #clock: Clock;

  constructor(o: { url: string; status: StatusModel; log: Logger; clock: Clock }) {
    this.#url = o.url;
    this.#status = o.status;
    this.#log = o.log;
    this.#clock = o.clock;
    o.status.updateConnection({ url: o.url, connected: false, reconnects: 0 });
  }

  starting(): void {
    this.#status.setState('connecting', `Connecting to Home Assistant at ${this.#url}.`);
  }

  connected(haVersion: string, token: Token | undefined, reconnects: number): void {
    const status = this.#status;
    status.updateConnection({
      url: this.#url,
      connected: true,
      haVersion,
      token: token?.masked,
      connectedSince: this.#now(),
      lastAuthenticatedAt: this.#now(),
      nextAttemptAt: undefined,
      reconnects,
    });
    status.setState('connected', `Connected to Home Assistant ${haVersion} at ${this.#url}.`);
    status.event('info', 'connection', `Connected to Home Assistant ${haVersion}`);
    this.#log.info(`Connected to Home Assistant ${haVersion} at ${this.#url}`);
  }

  switching(token: Token): void {
    this.#log.info(`Reconnecting with the new token ${token.masked}`);
    this.#status.setState('connecting', `Switching to token ${token.masked}.`);
  }

  /** The socket closed because we closed it to change tokens. */
  switched(): void {
    this.#status.updateConnection({
      url: this.#url,
      connected: false,
      token: undefined,
      connectedSince: undefined,
    });
  }

  lost(reconnects: number): void {
    const at = this.#now();
    this.#status.updateConnection({
      url: this.#url,
      connected: false,
      token: undefined,
      connectedSince: undefined,
      reconnects,
      lastError: 'Connection lost',
      lastErrorAt: at,
      nextAttemptAt: at,
    });
    this.#status.setState(
      'disconnected',
      `Lost the connection to Home Assistant at ${this.#url}; reconnecting.`,
    );
    this.#status.event('warning', 'connection', 'Connection to Home Assistant lost; reconnecting');
    this.#log.warning('Connection to Home Assistant lost; reconnecting');
  }

  pong(rttMs: number): void {
    this.#status.updateConnection({ url: this.#url, pingRttMs: rttMs, lastPingAt: this.#now() });
  }

  missedPong(): void {
    this.#status.event(
      'warning',
      'connection',
      'Home Assistant stopped answering pings; reconnecting',
    );
  }

  /** No token may be sent; `retryAt` undefined when only a new token helps. */
  noToken(error: unknown, retryAt: number | undefined): void {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TokenRejectedError || error instanceof MalformedTokenError) {
      // Only a new token helps; the refresh job or a restart brings one.
      this.#status.setState('unauthorized', message);
      this.#status.event('error', 'token', message);
      this.#log.error(message);
      return;
    }
    this.problem(message.replace(/\.$/, '') || 'Could not get a token', retryAt, error);
  }

  problem(reason: string, retryAt: number | undefined, error?: unknown): void {
    const now = this.#clock.now();
    this.#status.updateConnection({
      url: this.#url,
      connected: false,
      lastError: reason,
      lastErrorAt: new Date(now).toISOString(),
      nextAttemptAt: retryAt === undefined ? undefined : new Date(retryAt).toISOString(),
    });
    const next =
      retryAt === undefined ? '' : ` Next attempt in ${Math.ceil((retryAt - now) / 1000)} s.`;
    this.#status.setState('disconnected', `${reason}.${next}`);
    this.#log.warning(
      `${reason}${retryAt === undefined ? '' : `; next attempt in ${retryAt - now} ms`}`,
      error,
    );
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}
