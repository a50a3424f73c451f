import { describe, expect, test } from 'vitest';
import { nextRotation, nextScheduled } from '../../src/consumers/due.js';
import { batches, Pacer } from '../../src/consumers/pacer.js';

const day = 86_400_000;

describe('nextRotation', () => {
  test('the 2/3 rule: 60 days into a 90-day token', () => {
    const issuedAt = new Date('2026-01-01T00:00:00Z');
    expect(nextRotation({ issuedAt, lifespanDays: 90 })?.toISOString()).toBe(
      new Date(issuedAt.getTime() + 60 * day).toISOString(),
    );
  });

  test('taken of the token’s own exp when it has one (an adopted token of another lifespan)', () => {
    const issuedAt = new Date('2026-01-01T00:00:00Z');
    const expiresAt = new Date(issuedAt.getTime() + 30 * day);
    expect(nextRotation({ issuedAt, expiresAt, lifespanDays: 90 })?.getTime()).toBe(
      issuedAt.getTime() + 20 * day,
    );
  });

  test('with a schedule, the run computed when the token was issued', () => {
    const scheduledAt = new Date('2026-02-01T03:00:00Z');
    expect(
      nextRotation({ issuedAt: new Date(0), lifespanDays: 90, schedule: '0 3 1 * *', scheduledAt }),
    ).toBe(scheduledAt);
    expect(nextScheduled('0 3 1 * *', 'UTC')?.getUTCHours()).toBe(3);
  });
});

describe('batches', () => {
  test('10 names a GetParameters call', () => {
    const names = Array.from({ length: 23 }, (_, i) => `/p/${i}`);
    expect(batches(names).map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches([])).toEqual([]);
  });
});

describe('Pacer', () => {
  test('50 writes due at once start 1/rate apart, in order, never two in the same slot', async () => {
    let now = 1_000_000;
    const starts: number[] = [];
    const pacer = new Pacer(2, { now: () => now }, async (ms) => {
      now += ms;
    });
    for (let i = 0; i < 50; i++) {
      await pacer.take();
      starts.push(now);
    }
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    // 50 writes at 2/s: the last starts 24.5 s after the first — at most 2 in any second.
    expect((starts.at(-1) as number) - (starts[0] as number)).toBe(24_500);
  });

  test('a call after a quiet spell goes at once', async () => {
    let now = 0;
    let slept = 0;
    const pacer = new Pacer(2, { now: () => now }, async (ms) => {
      slept += ms;
    });
    await pacer.take();
    now += 10_000;
    await pacer.take();
    expect(slept).toBe(0);
  });
});
