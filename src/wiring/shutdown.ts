// The add-on's stop after a signal (main.ts), as one sequence a test can run.
// The Supervisor kills the add-on a few seconds after SIGTERM, so main.ts
// exits after STOP_DEADLINE_MS whatever is left; the file flush at the end
// must come before that (a rejected token recorded just before the signal).

export const STOP_DEADLINE_MS = 2000;

interface Stoppable {
  stop(): Promise<void>;
}

export interface StoppingParts {
  history?: Stoppable;
  /** Bounded to STOP_MS (1.2 s, src/alerts/start.ts). */
  alerts?: Stoppable;
  /** The credential work; the rotator's stop alone waits up to 1.5 s for a step in flight. */
  work?: Stoppable;
  /** Resolves when the HTTP server has closed. */
  closed: Promise<void>;
  flush: () => Promise<void>;
}

/**
 * Stops the parts and flushes the files; returns the errors of the parts
 * that failed to stop (the flush runs anyway). Alerts and the credential work
 * stop at the same time: they do not depend on each other, and one after the
 * other their bounds (1.2 s + 1.5 s) pass the deadline before the flush.
 */
export async function stopParts(p: StoppingParts): Promise<unknown[]> {
  const failed: unknown[] = [];
  const note = (r: PromiseSettledResult<unknown>) => {
    if (r.status === 'rejected') failed.push(r.reason);
  };
  (await Promise.allSettled([p.history?.stop()])).forEach(note);
  (await Promise.allSettled([p.alerts?.stop(), p.work?.stop()])).forEach(note);
  await p.closed;
  await p.flush();
  return failed;
}
