import {
  ERR_CANNOT_CONNECT,
  ERR_INVALID_AUTH,
  type HaWebSocket,
} from 'home-assistant-js-websocket';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { HaUnavailableError } from '../../src/errors.js';
import { HaConnection } from '../../src/ha/connection.js';
import type { Authenticate } from '../../src/ha/dialer.js';
import { StatusModel } from '../../src/status/status-model.js';
import { TokenManager } from '../../src/tokens/token-manager.js';
import { jwt, memoryLogger, ScriptedSource } from '../support/fakes.js';

/**
 * A socket as home-assistant-js-websocket sees one (readyState, OPEN, events,
 * send, close), so the real library Connection runs on top of it; it answers
 * pings unless `silent`.
 */
class FakeSocket extends EventTarget {
  readonly OPEN = 1;
  readyState = 1;
  haVersion = '2026.11.0';
  silent = false;
  constructor(readonly token: string) {
    super();
  }
  send(data: string): void {
    const message = JSON.parse(data) as { id: number; type: string };
    if (message.type === 'ping' && !this.silent) {
      setTimeout(() => this.#receive({ id: message.id, type: 'pong' }), 0);
    }
  }
  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.dispatchEvent(new Event('close')), 0);
  }
  #receive(message: object): void {
    if (this.readyState === 1)
      this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(message) }));
  }
}

// Fake timers: time moves only when a test (or vi.waitFor, one interval per
// check) moves it, so what is asserted is order and counts, never durations.
const running: HaConnection[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
  vi.useRealTimers();
});

function setup(options: { retryDelaysMs?: number[]; pingIntervalMs?: number } = {}) {
  const clock = { now: () => Date.now() };
  const status = new StatusModel(clock);
  const source = new ScriptedSource();
  const first = jwt({ iss: 'first' });
  source.value = first;
  const { log, lines } = memoryLogger();
  /** Home Assistant as the connection meets it. */
  const ha = {
    up: true,
    probes: 0,
    /** Every token sent in an auth message, in order. */
    sent: [] as string[],
    rejects: new Set<string>(),
    /** Holds sockets between the auth message and auth_ok while set. */
    authGate: undefined as Promise<void> | undefined,
    failNext: 0,
    sockets: [] as FakeSocket[],
    get socket(): FakeSocket | undefined {
      return this.sockets.at(-1);
    },
  };
  const tokens = new TokenManager({
    source,
    check: async () => {
      if (!ha.up) throw new HaUnavailableError('Home Assistant did not answer: ECONNREFUSED.');
    },
    status,
    log,
    clock,
    ttlMs: 60_000,
    minReadIntervalMs: 0,
  });
  const authenticate: Authenticate = async (token, hooks) => {
    if (ha.failNext > 0) {
      ha.failNext--;
      throw ERR_CANNOT_CONNECT;
    }
    if (hooks.mayAuthenticate && !hooks.mayAuthenticate()) throw ERR_INVALID_AUTH;
    ha.sent.push(token.reveal());
    if (ha.authGate) await ha.authGate;
    if (ha.rejects.has(token.reveal())) {
      hooks.onAuthInvalid?.('Invalid access token or password');
      throw ERR_INVALID_AUTH;
    }
    hooks.onAuthOk?.('2026.11.0');
    const socket = new FakeSocket(token.reveal());
    ha.sockets.push(socket);
    return socket as unknown as HaWebSocket;
  };
  const connection = new HaConnection({
    url: 'http://127.0.0.1:8123',
    tokens,
    status,
    log,
    clock,
    authenticate,
    reachable: async () => {
      ha.probes++;
      return ha.up;
    },
    probeIntervalMs: 10,
    rereadWaitMs: 100,
    retryDelaysMs: options.retryDelaysMs ?? [20],
    pingIntervalMs: options.pingIntervalMs ?? 60_000,
    pingTimeoutMs: 20,
  });
  running.push(connection);
  const connected = () =>
    vi.waitFor(
      () => {
        expect(status.state).toBe('connected');
        expect(connection.connection).toBeDefined();
      },
      { timeout: 2000, interval: 2 },
    );
  return { status, source, tokens, ha, connection, connected, first, lines };
}

describe('HaConnection', () => {
  test('after a drop it probes while Home Assistant is away and authenticates once, as soon as it answers', async () => {
    const { ha, connection, connected, status } = setup();
    connection.start();
    await connected();
    const sentBefore = ha.sent.length;

    ha.up = false;
    ha.socket?.close();
    await vi.waitFor(() => expect(ha.probes).toBeGreaterThan(10), { interval: 2 });
    expect(status.state).toBe('disconnected');
    expect(ha.sent.length).toBe(sentBefore);
    const probesWhileAway = ha.probes;
    ha.up = true;
    await connected();

    // The first probe that finds it up leads straight to the one authentication.
    expect(ha.probes - probesWhileAway).toBe(1);
    expect(ha.sent.length - sentBefore).toBe(1);
    expect(status.snapshot().connection?.reconnects).toBe(1);
  });

  test('Home Assistant down at start: connects as soon as it answers, not on the backoff', async () => {
    const { ha, connection, connected, status } = setup({ retryDelaysMs: [1000, 5000] });
    ha.up = false;
    connection.start();
    await vi.waitFor(() => expect(ha.probes).toBeGreaterThan(10), { interval: 2 });
    expect(status.state).toBe('disconnected');
    expect(status.snapshot().reason).toMatch(/does not accept connections/);

    const probesWhileAway = ha.probes;
    ha.up = true;
    await connected();

    // Not the 1 s backoff: the next probe (10 ms) finds it and connects.
    expect(ha.probes - probesWhileAway).toBe(1);
    expect(ha.sent).toHaveLength(1);
  });

  test('a socket refused after the probe succeeds is retried on the backoff, not at the probe interval', async () => {
    const { ha, connection, connected } = setup({ retryDelaysMs: [100, 200] });
    ha.failNext = 2;
    connection.start();
    await vi.waitFor(() => expect(ha.failNext).toBe(1), { interval: 1 });

    // 100 ms, then 200 ms: no tries at the 10 ms probe interval in between.
    await vi.advanceTimersByTimeAsync(90);
    expect([ha.probes, ha.failNext]).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(20);
    expect([ha.probes, ha.failNext]).toEqual([2, 0]);
    await vi.advanceTimersByTimeAsync(180);
    expect(ha.probes).toBe(2);
    await connected();
    expect(ha.probes).toBe(3);
  });

  test('a reconnect with a cached, unrejected token does not wait on a source that hangs', async () => {
    const { ha, source, connection, connected, first, lines } = setup();
    connection.start();
    await connected();
    const readsBefore = source.reads;

    source.gate = new Promise(() => {}); // SSM during an internet outage: never answers
    ha.socket?.close();
    await vi.waitFor(() => expect(ha.sent.length).toBe(2), { interval: 2 });
    await connected();

    expect(ha.sent.at(-1)).toBe(first);
    expect(source.reads).toBe(readsBefore + 1); // the source was asked, just not waited for
    expect(lines.join('\n')).toMatch(
      /did not answer within 100 ms; reconnecting with the cached token/,
    );
  });

  test('a source that answers within the deadline replaces a token rotated outside before it is sent again', async () => {
    const { ha, source, connection, connected, first } = setup();
    connection.start();
    await connected();
    const second = jwt({ iss: 'second' });

    source.value = second;
    ha.rejects.add(first); // rotated and revoked outside
    ha.socket?.close();
    await connected();

    expect(ha.sent).toEqual([first, second]);
  });

  test('a token adopted while a socket authenticates with the old one: the connection ends on the new token, and status says so', async () => {
    const { ha, source, tokens, connection, connected, status, first } = setup();
    connection.start();
    await connected();
    const second = jwt({ iss: 'second' });
    let release!: () => void;
    ha.authGate = new Promise((r) => {
      release = r;
    });

    ha.socket?.close(); // the library reconnects; its socket sends `first`
    await vi.waitFor(() => expect(ha.sent).toEqual([first, first]), { interval: 2 });
    source.value = second;
    await tokens.refresh(); // adopted while that socket waits for auth_ok
    ha.authGate = undefined;
    release();
    await vi.waitFor(() => expect(ha.socket?.token).toBe(second), { interval: 2 });
    await connected();

    expect(ha.sockets.filter((s) => s.token === first).every((s) => s.readyState === 3)).toBe(true);
    expect(status.snapshot().token?.masked).toBe(tokens.peek()?.masked);
    expect(status.snapshot().connection?.token).toBe(tokens.peek()?.masked);
    expect(tokens.peek()?.reveal()).toBe(second);
  });

  test('a token adopted while connected switches the socket without counting a lost connection', async () => {
    const { ha, source, tokens, connection, connected, status } = setup();
    connection.start();
    await connected();
    const second = jwt({ iss: 'second' });

    source.value = second;
    await tokens.refresh();
    await vi.waitFor(() => expect(ha.socket?.token).toBe(second), { interval: 2 });
    await connected();

    expect(ha.sockets[0]?.readyState).toBe(3);
    expect(status.snapshot().connection).toMatchObject({
      reconnects: 0,
      token: tokens.peek()?.masked,
    });
  });

  test('rejected on reconnect: unauthorized without retrying, then a new token connects on the same Connection', async () => {
    const { ha, source, tokens, connection, connected, status, first } = setup();
    connection.start();
    await connected();
    const conn = connection.connection;

    ha.rejects.add(first);
    ha.socket?.close();
    await vi.waitFor(() => expect(status.state).toBe('unauthorized'), { interval: 2 });
    await vi.advanceTimersByTimeAsync(10_000); // far past every retry delay: still no retry
    expect(ha.sent.filter((t) => t === first)).toHaveLength(2); // the first connect, and the one rejection

    const second = jwt({ iss: 'second' });
    source.value = second;
    await tokens.refresh();
    await connected();

    expect(ha.sent.at(-1)).toBe(second);
    expect(connection.connection).toBe(conn);
  });

  test('a missed pong forces a reconnect', async () => {
    const { ha, connection, connected, status } = setup({ pingIntervalMs: 30 });
    connection.start();
    await connected();

    if (ha.socket) ha.socket.silent = true;
    await vi.waitFor(() => expect(ha.sockets).toHaveLength(2), { interval: 2 });
    await connected();

    expect(ha.sockets[0]?.readyState).toBe(3);
    expect(status.snapshot().connection?.reconnects).toBe(1);
  });
});
