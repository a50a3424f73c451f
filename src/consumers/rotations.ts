import type { Clock } from '../clock.js';
import type { ConsumerConfig } from '../options.js';
import { consumerCredential } from '../rotation/record.js';
import type { Rotator } from '../rotation/rotator.js';
import type { JobOutcome } from '../schedule/job.js';
import type { ConsumerInfo } from '../status/status-model.js';
import type { ConsumerMemory } from './memory.js';
import { RotationQueue } from './queue.js';
import { rotated } from './refresh-steps.js';
import type { Seen } from './report.js';

// The consumers' issues and rotations (docs/rotation.md, "Consumers"): which
// are due, the one queue they run in, the pause after a failed one, and what
// the manager's view learns from each without a read.

export interface ConsumerRotationsOptions {
  consumers: readonly ConsumerConfig[];
  rotator: Pick<Rotator, 'rotate' | 'records' | 'isRunning'>;
  memory: ConsumerMemory;
  /** The manager's view of each consumer; a rotation's outcome is written into it. */
  seen: Map<string, Seen>;
  clock: Clock;
  timezone?: string;
  infos(): ConsumerInfo[];
  event(level: 'info' | 'warning' | 'error', name: string, message: string): void;
  patch(name: string, change: Partial<Seen>): void;
  report(): void;
  refresh(): Promise<JobOutcome>;
}

export class ConsumerRotations {
  readonly #o: ConsumerRotationsOptions;
  readonly #queue = new RotationQueue();
  /** Rotated in this burst: read back once the queue drains. */
  readonly #pendingRead = new Set<string>();
  /** After a failed rotation: not before then (the next try is at least this far away). */
  readonly #retryAt = new Map<string, number>();
  #readScheduled = false;

  constructor(options: ConsumerRotationsOptions) {
    this.#o = options;
  }

  /** Resolves once every queued issue and rotation has run. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Queued, or rotating now. */
  busy(name: string): boolean {
    return this.#queue.has(name) || this.#o.rotator.isRunning(consumerCredential(name));
  }

  /** Queues the rotations that are due (no I/O otherwise). */
  rotateDue(): void {
    const now = this.#o.clock.now();
    for (const info of this.#o.infos()) {
      if (!info.configured || info.nextRotationAt === undefined) continue;
      const verdict = this.#o.seen.get(info.name)?.verdict;
      if (verdict?.kind !== 'valid') continue;
      // A rotation that failed is not tried again every few seconds: each try mints a token.
      if ((this.#retryAt.get(info.name) ?? 0) > now) continue;
      if (Date.parse(info.nextRotationAt) <= now) this.enqueue(info.name, 'rotate');
    }
  }

  enqueue(name: string, why: 'issue' | 'rotate'): void {
    const queued = this.#queue.add(name, async () => {
      const outcome = await this.#o.rotator.rotate('schedule', consumerCredential(name));
      this.#afterRotation(name, outcome, why);
    });
    if (queued) this.#o.report();
  }

  /** After a rotation: the new token is what the parameter holds; the view follows without a read. */
  #afterRotation(name: string, outcome: JobOutcome, why: 'issue' | 'rotate' | 'manual'): void {
    const verb = why === 'issue' ? 'Issued' : 'Rotated';
    if (outcome.ok) {
      this.#retryAt.delete(name);
      const record = this.#o.rotator.records.findLast(
        (r) => r.credential === consumerCredential(name),
      );
      const minted = record?.minted;
      const remembered = this.#o.memory.get(name);
      const consumer = this.#o.consumers.find((c) => c.name === name);
      if (remembered && minted) {
        this.#o.memory.set(name, rotated(remembered, minted, consumer?.schedule, this.#o.timezone));
        void this.#o.memory.save().catch(() => undefined);
      }
      this.#o.event('info', name, `${verb} the token of ${name}: ${outcome.message}`);
      // The next refresh reads it back; until then, say what is known.
      this.#o.seen.set(name, {
        ...this.#o.seen.get(name),
        usage: {},
        verdict: undefined,
        failing: undefined,
      });
      this.#pendingRead.add(name);
    } else {
      this.#retryAt.set(name, this.#o.clock.now() + RETRY_AFTER_MS);
      this.#o.patch(name, {
        failing: `${verb === 'Issued' ? 'Issuing' : 'Rotating'} failed: ${outcome.message}`,
      });
      this.#o.event(
        'error',
        name,
        `${verb === 'Issued' ? 'Issuing' : 'Rotating'} the token of ${name} failed: ${outcome.message}`,
      );
    }
    this.#o.report();
    if (this.#pendingRead.size > 0 && !this.#readScheduled) {
      this.#readScheduled = true;
      // One batched read for everything rotated in this burst, after the queue drains.
      void this.idle().then(async () => {
        this.#readScheduled = false;
        this.#pendingRead.clear();
        await this.#o.refresh();
      });
    }
  }

  /** "Rotate now" on the page. */
  async rotateNow(name: string): Promise<JobOutcome> {
    if (!this.#o.consumers.some((c) => c.name === name))
      return {
        ok: false,
        message: `No configured consumer is named ${JSON.stringify(name.slice(0, 64))}.`,
      };
    const outcome = await this.#queue.after(() =>
      this.#o.rotator.rotate('manual', consumerCredential(name)),
    );
    this.#afterRotation(name, outcome, 'manual');
    return outcome;
  }
}

/** How long a failed rotation waits before the next try (the refresh schedule's default). */
const RETRY_AFTER_MS = 5 * 60_000;
