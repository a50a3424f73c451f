import { ERR_CANNOT_CONNECT } from 'home-assistant-js-websocket';
import { afterEach, expect, test, vi } from 'vitest';
import { Dialer } from '../../src/ha/dialer.js';
import { Token } from '../../src/tokens/token.js';
import type { TokenManager } from '../../src/tokens/token-manager.js';
import { jwt, memoryLogger } from '../support/fakes.js';

afterEach(() => {
  vi.useRealTimers();
});

// Behind a reverse proxy the TCP probe succeeds while Home Assistant is down:
// only the retry delays pace the tries.
test('retries wait at most 5 s, and a failed probe starts them over from the shortest', async () => {
  vi.useFakeTimers();
  const token = Token.parse(jwt({ iss: 'a' }), 'test');
  const probeAnswers = [true, true, true, true, true, true, false, true, true];
  let probes = 0;
  const delays: number[] = [];
  const dialer = new Dialer({
    tokens: {
      current: async () => token,
      load: async () => token,
      peek: () => token,
      isKnownBad: () => false,
    } as unknown as TokenManager,
    authenticate: async () => {
      throw ERR_CANNOT_CONNECT; // the proxy accepts, Home Assistant is not there
    },
    reachable: async () => probeAnswers[probes++] ?? true,
    events: {
      noToken: () => undefined,
      unreachable: () => undefined,
      failed: (_reason, retryAt) => delays.push(retryAt - Date.now()),
    },
    clock: { now: () => Date.now() },
    log: memoryLogger().log,
    probeIntervalMs: 200,
    rereadWaitMs: 100,
    retryDelaysMs: [250, 1000, 2000, 5000, 10_000, 30_000],
  });

  const dialing = dialer.dial().catch(() => 'stopped');
  for (let i = 0; i < 200 && delays.length < 8; i++) await vi.advanceTimersByTimeAsync(250);
  dialer.stop();

  expect(await dialing).toBe('stopped');
  expect(delays.slice(0, 8)).toEqual([250, 1000, 2000, 5000, 5000, 5000, 250, 1000]);
});
