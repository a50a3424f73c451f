import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../clock.js';
import { describeError, type Logger } from '../log.js';
import type { StatusModel } from '../status/status-model.js';

export interface JobOutcome {
  ok: boolean;
  message: string;
}

export interface JobOptions {
  name: string;
  expression: string;
  run: () => Promise<JobOutcome>;
  status: StatusModel;
  log: Logger;
  clock: Clock;
}

/**
 * A cron job (DESIGN.md C5) whose runs never overlap: node-cron skips a tick
 * while one runs (`noOverlap`), and a manual run joins the run in progress
 * instead of starting a second. Every run's time, result, duration and the
 * next run are recorded in the status model.
 */
export class Job {
  readonly #o: JobOptions;
  readonly #task: ScheduledTask;
  #running: Promise<JobOutcome> | undefined;

  constructor(options: JobOptions) {
    this.#o = options;
    this.#task = cron.createTask(
      options.expression,
      () => this.run('schedule').then(() => undefined),
      {
        name: options.name,
        noOverlap: true,
      },
    );
  }

  start(): void {
    this.#task.start();
    this.#o.status.updateSchedule({
      name: this.#o.name,
      expression: this.#o.expression,
      nextRunAt: this.#nextRun(),
    });
  }

  async stop(): Promise<void> {
    await this.#task.destroy();
  }

  /** Runs now (or joins the run in progress). Never throws: failures are outcomes. */
  run(trigger: 'schedule' | 'manual'): Promise<JobOutcome> {
    this.#running ??= this.#run(trigger).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(trigger: string): Promise<JobOutcome> {
    const { name, clock, status, log } = this.#o;
    const started = clock.now();
    let outcome: JobOutcome;
    try {
      outcome = await this.#o.run();
    } catch (error) {
      outcome = { ok: false, message: describeError(error) };
    }
    const durationMs = clock.now() - started;
    status.count(`${name}_runs`, outcome.ok ? 'ok' : 'failed');
    status.updateSchedule({
      name,
      expression: this.#o.expression,
      lastRunAt: new Date(started).toISOString(),
      lastResult: outcome.ok ? 'ok' : 'failed',
      lastMessage: outcome.message,
      lastDurationMs: durationMs,
      nextRunAt: this.#nextRun(),
    });
    const line = `${name} run (${trigger}) ${outcome.ok ? 'succeeded' : 'failed'} in ${durationMs} ms: ${outcome.message}`;
    if (outcome.ok) log.info(line);
    else {
      log.warning(line);
      status.event('warning', name, `${name} failed: ${outcome.message}`);
    }
    return outcome;
  }

  #nextRun(): string | undefined {
    return this.#task.getNextRun()?.toISOString();
  }
}
