import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Job, type JobOutcome } from '../../src/schedule/job.js';
import { StatusModel } from '../../src/status/status-model.js';
import { memoryLogger } from '../support/fakes.js';

// node-cron reads Date and arms setTimeout: vitest's fake timers drive both.
const clock = { now: () => Date.now() };

function job(expression: string, run: () => Promise<JobOutcome>, timezone?: string) {
  const status = new StatusModel(clock);
  const { log, lines } = memoryLogger();
  const j = new Job({ name: 'refresh', expression, run, status, log, clock, timezone });
  return { job: j, status, lines };
}

describe('a scheduled job', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-23T12:00:00.500Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('a tick while a run is in progress is skipped and recorded as skipped', async () => {
    let release: (() => void) | undefined;
    const runs: number[] = [];
    const { job: j, status } = job('* * * * * *', () => {
      runs.push(Date.now());
      return new Promise((resolve) => {
        release = () => resolve({ ok: true, message: 'done' });
      });
    });
    j.start();
    const manual = j.run('manual');

    await vi.advanceTimersByTimeAsync(1000);
    const during = status.snapshot().schedules[0];
    release?.();
    await manual;
    await j.stop();

    expect(runs).toHaveLength(1);
    expect(during).toMatchObject({
      lastResult: 'skipped',
      lastMessage: expect.stringMatching(/still running/),
    });
    expect(status.counter('refresh_runs').get('skipped')).toBe(1);
    expect(status.snapshot().schedules[0]?.lastResult).toBe('ok');
  });

  test('node-cron reports through our logger, not the console', async () => {
    const console = vi.spyOn(globalThis.console, 'warn').mockImplementation(() => undefined);
    let release: (() => void) | undefined;
    const { job: j, lines } = job('* * * * * *', () => {
      return new Promise((resolve) => {
        release = () => resolve({ ok: true, message: 'done' });
      });
    });
    j.start();

    await vi.advanceTimersByTimeAsync(2000); // the first tick runs, the second finds it running
    release?.();
    await j.stop();

    expect(console).not.toHaveBeenCalled();
    expect(lines.join('\n')).toMatch(/WARNING \S*.*overlap prevention/);
    console.mockRestore();
  });

  test('the expression is read in the given time zone (TZ)', async () => {
    const { job: j, status } = job(
      '0 3 * * *',
      async () => ({ ok: true, message: '' }),
      'Europe/Berlin',
    );

    j.start();
    const next = status.snapshot().schedules[0]?.nextRunAt;
    await j.stop();

    // 03:00 in Berlin (UTC+1 in November) is 02:00 UTC.
    expect(next).toBe('2026-11-24T02:00:00.000Z');
  });

  test('an unknown time zone falls back to UTC with a warning instead of failing every tick', async () => {
    const {
      job: j,
      status,
      lines,
    } = job('0 3 * * *', async () => ({ ok: true, message: '' }), 'Mars/Olympus');

    j.start();
    const next = status.snapshot().schedules[0]?.nextRunAt;
    await j.stop();

    expect(next).toBe('2026-11-24T03:00:00.000Z');
    expect(lines.join('\n')).toMatch(/TZ="Mars\/Olympus" is not a time zone/);
  });
});
