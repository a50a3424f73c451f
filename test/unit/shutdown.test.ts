import { expect, test } from 'vitest';
import { STOP_MS } from '../../src/alerts/start.js';
import { STOP_DEADLINE_MS, stopParts } from '../../src/wiring/shutdown.js';

// The add-on's stop (src/wiring/shutdown.ts, run by main.ts on SIGTERM).

const taking = (ms: number) => ({
  stop: () => new Promise<void>((resolve) => setTimeout(resolve, ms)),
});

test('alerts held by a Core that never answers and a rotator waiting for its step: the files are still flushed before the stop deadline', async () => {
  const started = Date.now();
  let flushedAfter: number | undefined;
  const failed = await stopParts({
    history: taking(0),
    alerts: taking(STOP_MS), // their bound
    work: taking(1500), // rotator.stop's wait
    closed: Promise.resolve(),
    flush: async () => {
      flushedAfter = Date.now() - started;
    },
  });
  expect(failed).toEqual([]);
  expect(flushedAfter).toBeDefined();
  expect(flushedAfter).toBeLessThan(STOP_DEADLINE_MS - 200);
});

test('a part that fails to stop: the others stop, the files are flushed, the failure is returned', async () => {
  const order: string[] = [];
  const failed = await stopParts({
    alerts: {
      stop: async () => {
        throw new Error('alerts broke');
      },
    },
    work: { stop: async () => void order.push('work') },
    closed: Promise.resolve(),
    flush: async () => void order.push('flush'),
  });
  expect(order).toEqual(['work', 'flush']);
  expect(failed).toEqual([new Error('alerts broke')]);
});
