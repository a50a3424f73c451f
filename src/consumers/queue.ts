// The consumer manager's one queue (docs/rotation.md, "Consumers"): issues
// and rotations run one at a time, so fifty consumers due at once are paced,
// not burst; a consumer is queued at most once.

export class RotationQueue {
  #tail: Promise<unknown> = Promise.resolve();
  /** Consumers with an issue or rotation queued or running. */
  readonly #queued = new Set<string>();

  has(name: string): boolean {
    return this.#queued.has(name);
  }

  /** Queues `run` for `name`, unless one is queued or running already (then returns false). */
  add(name: string, run: () => Promise<void>): boolean {
    if (this.#queued.has(name)) return false;
    this.#queued.add(name);
    this.#tail = this.#tail.then(async () => {
      try {
        await run();
      } finally {
        this.#queued.delete(name);
      }
    });
    return true;
  }

  /** Runs `fn` after everything queued so far (a page action: never skipped). */
  after<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every queued run has finished. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
