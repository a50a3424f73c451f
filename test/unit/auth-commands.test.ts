import type { Connection } from 'home-assistant-js-websocket';
import { describe, expect, test, vi } from 'vitest';
import {
  commandFailure,
  HaCommandError,
  HaCommandUnknownError,
  listRefreshTokens,
  mintLongLivedToken,
} from '../../src/ha/auth-commands.js';

// How home-assistant-js-websocket (lib/connection.ts, 9.x) rejects
// sendMessagePromise: with HA's error object when HA answered; with a whole
// result message {type:'result', success:false, error:{code:3}} for commands in
// flight when the socket closes; with the bare number 3 when it was closed.
function rejecting(reason: unknown): Connection {
  return { sendMessagePromise: () => Promise.reject(reason) } as unknown as Connection;
}

describe('auth commands', () => {
  test('HA answered with an error: the command did not happen, and the code is kept', async () => {
    const error = await mintLongLivedToken(
      rejecting({ code: 'unknown_error', message: 'User is not allowed' }),
      'n',
      1,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HaCommandError);
    expect((error as HaCommandError).code).toBe('unknown_error');
  });

  // Issue 9, defect 2: both read as "HA answered, nothing minted" before.
  test.each([
    [
      'a command in flight when the socket closed',
      { type: 'result', success: false, error: { code: 3, message: 'Connection lost' } },
    ],
    ['a command sent on a closed socket', 3],
    ['an error thrown by the socket', new Error('socket hang up')],
  ])('%s: the outcome is unknown', async (_, reason) => {
    const error = await mintLongLivedToken(rejecting(reason), 'n', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HaCommandUnknownError);
    expect(error).not.toBeInstanceOf(HaCommandError);
    expect(commandFailure('x', reason)).toBeInstanceOf(HaCommandUnknownError);
  });

  test('an answer that never comes ends within the bounded time, as unknown', async () => {
    vi.useFakeTimers();
    try {
      const silent = { sendMessagePromise: () => new Promise(() => {}) } as unknown as Connection;
      let error: unknown;
      void listRefreshTokens(silent, 50).catch((e: unknown) => {
        error = e;
      });
      await vi.advanceTimersByTimeAsync(49);
      expect(error).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(error).toBeInstanceOf(HaCommandUnknownError);
      expect((error as Error).message).toMatch(/no answer within 50 ms/);
    } finally {
      vi.useRealTimers();
    }
  });
});
