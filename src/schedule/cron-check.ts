import cron from 'node-cron';

/**
 * The next `count` times a cron expression fires, computed by node-cron
 * itself so that the check and the scheduler cannot disagree. An expression
 * can pass node-cron's `validate` and still never fire ("0 0 1 * 1#5": the
 * 1st of a month is never its 5th Monday); node-cron then throws from
 * `createTask` ("Could not find next matching date", node-cron src/time/
 * matcher-walker), so it is found here, while options are parsed, instead of
 * when the job starts. Returns [] for an expression that never fires.
 */
export function upcomingRuns(expression: string, count: number, timezone?: string): Date[] {
  let task: ReturnType<typeof cron.createTask> | undefined;
  try {
    // Created, never started: no timer. Destroyed at once to leave node-cron's registry as it was.
    task = cron.createTask(expression, () => undefined, { timezone });
    return task.getNextRuns(count);
  } catch {
    return [];
  } finally {
    void task?.destroy();
  }
}

/** The shortest time between consecutive runs among the next `count`; undefined with fewer than 2. */
export function shortestInterval(runs: readonly Date[]): number | undefined {
  let shortest: number | undefined;
  for (let i = 1; i < runs.length; i++) {
    const gap = (runs[i] as Date).getTime() - (runs[i - 1] as Date).getTime();
    if (shortest === undefined || gap < shortest) shortest = gap;
  }
  return shortest;
}
