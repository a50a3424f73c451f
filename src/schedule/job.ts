import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
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
  /** IANA time zone the expression is read in (the Supervisor sets TZ to Home Assistant's); default: the process's. */
  timezone?: string;
}

/**
 * A cron job whose runs never overlap: a tick that comes while a run is in
 * progress (a scheduled run that is slow, or a manual one) is skipped and
 * recorded as `skipped`, and a manual run joins the run in progress instead
 * of starting a second. Every run's time, result, duration and the next run
 * are recorded in the status model (docs/architecture.md, "Status model").
 */
export class Job {
  readonly #o: JobOptions;
  readonly #task: ScheduledTask;
  #running: Promise<JobOutcome> | undefined;

  constructor(options: JobOptions) {
    this.#o = options;
    const timezone = knownTimeZone(options.timezone);
    if (options.timezone && !timezone) {
      options.log.warning(
        `TZ=${JSON.stringify(options.timezone)} is not a time zone this runtime knows; the ${options.name} schedule uses UTC`,
      );
    }
    this.#task = cron.createTask(
      options.expression,
      () => (this.#running ? this.#skip() : this.run('schedule').then(() => undefined)),
      {
        name: options.name,
        // Kept as a second guard; our own check above sees manual runs too.
        noOverlap: true,
        timezone: timezone ?? (options.timezone ? 'UTC' : undefined),
        logger: cronLogger(options.log),
      },
    );
    this.#task.on('execution:overlap', () => this.#skip());
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

  #skip(): void {
    const { name, status, log, clock } = this.#o;
    const message = 'skipped: the previous run was still running';
    status.count(`${name}_runs`, 'skipped');
    status.updateSchedule({
      name,
      expression: this.#o.expression,
      lastRunAt: new Date(clock.now()).toISOString(),
      lastResult: 'skipped',
      lastMessage: message,
      nextRunAt: this.#nextRun(),
    });
    log.info(`${name} run (schedule) ${message}`);
  }

  #nextRun(): string | undefined {
    return this.#task.getNextRun()?.toISOString();
  }
}

/** The zone if the runtime's Intl knows it (node-cron would throw on each tick otherwise). */
function knownTimeZone(zone: string | undefined): string | undefined {
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

/** node-cron's own messages (overlap, missed ticks, task errors) through our logger, not its console one. */
function cronLogger(log: Logger): CronLogger {
  const text = (m: string | Error) => (m instanceof Error ? m.message : m);
  return {
    info: (m) => log.debug(m),
    warn: (m) => log.warning(m),
    error: (m, e) => log.error(text(m), e ?? (m instanceof Error ? m : undefined)),
    debug: (m) => log.debug(text(m)),
  };
}
