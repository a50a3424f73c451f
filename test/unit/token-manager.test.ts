import { describe, expect, test, vi } from 'vitest';
import {
  HaUnavailableError,
  MalformedTokenError,
  SourceError,
  TokenRejectedError,
} from '../../src/errors.js';
import { StatusModel } from '../../src/status/status-model.js';
import { Token } from '../../src/tokens/token.js';
import { TokenManager } from '../../src/tokens/token-manager.js';
import { FakeClock, jwt, memoryLogger, ScriptedSource } from '../support/fakes.js';

function setup(ttlMs = 60_000, extra: { fallback?: Token; minReadIntervalMs?: number } = {}) {
  const clock = new FakeClock();
  const source = new ScriptedSource();
  source.value = jwt({ iss: 'first' });
  const checked: string[] = [];
  const rejected = new Set<string>();
  const unreachable = { on: false };
  const status = new StatusModel(clock);
  const { log, lines } = memoryLogger();
  const tokens = new TokenManager({
    source,
    status,
    log,
    clock,
    ttlMs,
    minReadIntervalMs: 0,
    ...extra,
    check: async (token: Token) => {
      checked.push(token.reveal());
      if (unreachable.on) throw new HaUnavailableError('HA is down');
      if (rejected.has(token.reveal()))
        throw new TokenRejectedError('Home Assistant rejected the token (401).');
    },
  });
  return { clock, source, checked, rejected, unreachable, status, tokens, lines };
}

describe('TokenManager', () => {
  test('serves the cached token while fresh and reads the source again after the TTL', async () => {
    const { clock, source, tokens } = setup(60_000);

    await tokens.current();
    clock.advance(59_999);
    await tokens.current();
    expect(source.reads).toBe(1);

    clock.advance(1);
    await tokens.current();
    expect(source.reads).toBe(2);
  });

  test('1,000 concurrent callers on a cold cache cause exactly one source read and one validation', async () => {
    const { source, checked, tokens } = setup();
    let release!: () => void;
    source.gate = new Promise((r) => {
      release = r;
    });

    const callers = Array.from({ length: 1000 }, () => tokens.current());
    release();
    const results = await Promise.all(callers);

    expect(source.reads).toBe(1);
    expect(checked).toHaveLength(1);
    expect(new Set(results.map((t) => t.fingerprint)).size).toBe(1);
  });

  test('validates a token once, not on every re-read of the same value', async () => {
    const { clock, checked, tokens } = setup(1000);

    for (let i = 0; i < 5; i++) {
      await tokens.current();
      clock.advance(1000);
    }

    expect(checked).toHaveLength(1);
  });

  test('refuses a malformed value before any validation request', async () => {
    const { source, checked, tokens } = setup();
    source.value = 'not a token';

    await expect(tokens.current()).rejects.toThrow(MalformedTokenError);
    expect(checked).toHaveLength(0);
  });

  test('a token HA rejects is sent at most once, however often the source still holds it', async () => {
    const { clock, source, checked, rejected, tokens } = setup(1000);
    rejected.add(source.value);

    for (let i = 0; i < 10; i++) {
      await expect(tokens.current()).rejects.toThrow(TokenRejectedError);
      clock.advance(1000);
    }

    expect(checked).toHaveLength(1);
    await expect(tokens.current()).rejects.toThrow(
      /still holds token .* which Home Assistant rejected/,
    );
    await expect(tokens.current()).rejects.toThrow(/put it in the test source/);
  });

  test('reject() drops the cached token at once, and the next call reads the source', async () => {
    const { source, tokens } = setup();
    const first = await tokens.current();

    tokens.reject(first, 'auth_invalid');
    source.value = jwt({ iss: 'second' });
    const second = await tokens.current();

    expect(source.reads).toBe(2);
    expect(second.refreshTokenId).toBe('second');
    expect(tokens.isKnownBad(first)).toBe(true);
  });

  test('an unreachable HA is not a rejection: the token stays usable once HA answers', async () => {
    const { checked, unreachable, tokens } = setup();
    unreachable.on = true;
    await expect(tokens.current()).rejects.toThrow(HaUnavailableError);

    unreachable.on = false;
    const token = await tokens.current();

    expect(token.refreshTokenId).toBe('first');
    expect(checked).toHaveLength(2);
  });

  test('reports the token without its value: masked form, fingerprint, version, times', async () => {
    const { source, status, tokens, lines } = setup();
    source.version = 7;

    await tokens.current();
    const info = status.snapshot().token;

    expect(info).toMatchObject({ masked: `••••${source.value.slice(-4)}`, version: 7 });
    expect(info?.validatedAt).toBe('2026-11-23T12:00:00.000Z');
    expect(JSON.stringify(status.snapshot())).not.toContain(source.value);
    expect(lines.join('\n')).not.toContain(source.value);
  });

  test('when the source fails, keeps the last-known-good token, degraded with the reason, until the source is back', async () => {
    const { source, status, tokens } = setup(0);
    status.setState('connected', 'Connected.');
    const good = await tokens.current();

    source.failWith = new SourceError('SSM could not be reached.', { transient: true });
    const during = await tokens.refresh();
    const snapshot = status.snapshot();
    source.failWith = undefined;
    const after = await tokens.refresh();

    expect(during).toEqual({
      ok: false,
      message: expect.stringMatching(/SSM could not be reached\. Using the last-known-good token/),
    });
    expect(snapshot).toMatchObject({
      state: 'degraded',
      token: { fallback: 'last-known-good token', masked: good.masked },
    });
    expect(snapshot.degradedSince).toBeDefined();
    expect(after.ok).toBe(true);
    expect(status.snapshot()).toMatchObject({ state: 'connected', token: { fallback: undefined } });
  });

  test('when the source fails before any token worked, falls back to the access_token option', async () => {
    const fallback = Token.parse(jwt({ iss: 'from-options' }), 'the access_token option');
    const { source, status, tokens } = setup(0, { fallback });
    source.failWith = new SourceError('Access denied reading SSM parameter /x.');

    const token = await tokens.current();

    expect(token.equals(fallback)).toBe(true);
    expect(status.snapshot().token?.fallback).toBe('access_token option');
  });

  test('a new value HA rejects does not replace the token in use', async () => {
    const { source, rejected, tokens } = setup(0);
    const good = await tokens.current();

    source.value = jwt({ iss: 'bad-new-version' });
    rejected.add(source.value);
    const outcome = await tokens.refresh();

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/rejected/);
    expect((await tokens.current()).equals(good)).toBe(true);
  });

  test('tells listeners about each token that replaces another, not about a re-read of the same one', async () => {
    const { source, tokens } = setup(0);
    const seen: string[] = [];
    tokens.onChange((t) => seen.push(t.refreshTokenId ?? ''));
    await tokens.current();

    await tokens.refresh();
    source.value = jwt({ iss: 'second' });
    await tokens.refresh();

    expect(seen).toEqual(['first', 'second']);
  });

  test('after a rejection, the replacement still reaches listeners (the connection waits for it)', async () => {
    const { source, tokens } = setup(0);
    const first = await tokens.current();
    const seen: string[] = [];
    tokens.onChange((t) => seen.push(t.refreshTokenId ?? ''));

    tokens.reject(first, 'revoked');
    source.value = jwt({ iss: 'replacement' });
    await tokens.refresh();

    expect(seen).toEqual(['replacement']);
  });

  test('under a storm of rejections, reads the source at most once a second', async () => {
    vi.useFakeTimers();
    try {
      const clock = { now: () => Date.now() };
      const source = new ScriptedSource();
      source.value = jwt();
      const tokens = new TokenManager({
        source,
        status: new StatusModel(clock),
        log: memoryLogger().log,
        clock,
        ttlMs: 0,
        check: async () => {},
      });
      await tokens.load();

      const storm = (async () => {
        for (let i = 0; i < 5; i++) await tokens.load();
      })();
      await vi.advanceTimersByTimeAsync(2500);

      expect(source.reads).toBe(3);
      await vi.advanceTimersByTimeAsync(5000);
      await storm;
      expect(source.reads).toBe(6);
    } finally {
      vi.useRealTimers();
    }
  });
});
