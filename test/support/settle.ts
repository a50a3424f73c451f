import { randomUUID } from 'node:crypto';
import type { StatusSnapshot } from '../../src/status/status-model.js';
import { waitFor } from './ports.js';

const MARKER = 'log-flush-marker-';

/**
 * How many failed logins Home Assistant has recorded, once every login that
 * came before this call is in its log. Core writes its log from a queue on
 * another thread (homeassistant/util/logging.py, QueueHandler), after an
 * executor job that resolves the peer's name (components/http/ban.py
 * process_wrong_login), so a line can land after the request that caused it
 * was answered: counting at once could miss one. This sends a marker —
 * itself a failed login on `/api/` whose query string is unique, which Core
 * logs as "Requested URL: '/api/?<marker>'" — and waits for its line: the
 * queue is first in, first out, so every earlier line is written by then.
 * Marker lines are not counted, here or in any later call.
 */
export async function settledFailedLogins(ha: {
  url: string;
  failedLogins(): Promise<string[]>;
}): Promise<number> {
  const marker = `${MARKER}${randomUUID()}`;
  await fetch(`${ha.url}/api/?${marker}`, { headers: { Authorization: 'Bearer not-a-token' } });
  const lines = await waitFor(
    'Home Assistant to log the flush marker',
    async () => {
      const all = await ha.failedLogins();
      return all.some((line) => line.includes(marker)) ? all : undefined;
    },
    15_000,
    50,
  );
  return lines.filter((line) => !line.includes(MARKER)).length;
}

/**
 * Waits until the job `name` has finished `count` more scheduled runs after
 * the snapshot `from`: proof that the add-on had that many chances to do
 * something wrong (e.g. send a rejected token again), without a fixed sleep.
 */
export async function scheduledRuns(
  addon: {
    waitForStatus(
      what: string,
      predicate: (s: StatusSnapshot) => boolean,
      timeoutMs?: number,
    ): Promise<StatusSnapshot>;
  },
  name: string,
  count: number,
  timeoutMs = 30_000,
): Promise<StatusSnapshot> {
  const seen = new Set<string>();
  let first: string | undefined;
  return addon.waitForStatus(
    `${count} more ${name} runs`,
    (s) => {
      const at = s.schedules.find((j) => j.name === name)?.lastRunAt ?? '';
      if (first === undefined) first = at;
      else if (at !== first) seen.add(at);
      return seen.size >= count;
    },
    timeoutMs,
  );
}
