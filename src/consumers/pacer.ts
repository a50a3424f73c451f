import type { Clock } from '../clock.js';

// Paces calls to stay inside an account-wide SSM quota. Parameter Store
// throttles per account and Region (GetParameter, GetParameters and
// GetParametersByPath share one default quota of 40 transactions per second;
// PutParameter has its own, lower one — "AWS Systems Manager endpoints and
// quotas"), and the add-on is not the account's only caller: it keeps well
// under them. Fifty consumers due at once are written one after another at
// `perSecond`, not in a burst (docs/rotation.md, "Consumers").

export class Pacer {
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #sleep: (ms: number) => Promise<void>;
  /** When the next call may start. */
  #next = 0;

  constructor(
    perSecond: number,
    clock: Clock,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.#intervalMs = 1000 / perSecond;
    this.#clock = clock;
    this.#sleep = sleep;
  }

  /** Waits for this call's slot: calls start at least 1/perSecond apart, in the order they asked. */
  async take(): Promise<void> {
    const now = this.#clock.now();
    const at = Math.max(now, this.#next);
    this.#next = at + this.#intervalMs;
    if (at > now) await this.#sleep(at - now);
  }
}

/** Splits names into GetParameters calls: at most 10 names a call (the API's limit). */
export function batches<T>(items: readonly T[], size = 10): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
