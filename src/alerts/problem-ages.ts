import { join } from 'node:path';
import { readPrivateJson, writePrivateFile } from '../files.js';
import type { ManagedCredential } from './credential-view.js';

// Some problems count only once they have lasted (a problem's graceMs): a
// consumer's rejected token the add-on replaces by itself within seconds is
// not worth a notification. This remembers since when each problem of each
// credential has been present, and forgets it as soon as it is gone. With a
// data directory the times are kept in `problem-ages.json` (credential ids,
// problem kinds and times only), so a problem that lasts across a restart of
// the add-on keeps its age: its sensor is not turned off for the grace and on
// again (a `to: "on"` automation would fire twice).

export const PROBLEM_AGES_FILE = 'problem-ages.json';

export class ProblemAges {
  readonly #since = new Map<string, number>();
  readonly #file: string | undefined;

  constructor(dataDir?: string) {
    this.#file = dataDir === undefined ? undefined : join(dataDir, PROBLEM_AGES_FILE);
  }

  /** Reads the ages kept before a restart; returns a problem to log when the file was damaged (then all start now). */
  async load(): Promise<string | undefined> {
    if (!this.#file) return undefined;
    const read = await readPrivateJson(this.#file, parseAges);
    if (read.kind === 'ok') for (const [key, since] of read.value) this.#since.set(key, since);
    return read.kind === 'damaged'
      ? `${read.problem}; problems that need to last before they are reported start their wait again`
      : undefined;
  }

  /** The credentials with the problems younger than their grace left out (and the state to match). */
  filter(credentials: readonly ManagedCredential[], now: number): ManagedCredential[] {
    const present = new Set<string>();
    let changed = false;
    const out = credentials.map((c) => {
      const problems = c.problems.filter((p) => {
        const key = `${c.id}\u0000${p.kind}`;
        present.add(key);
        let since = this.#since.get(key);
        if (since === undefined) {
          since = now;
          this.#since.set(key, since);
          changed = true;
        }
        return now - since >= (p.graceMs ?? 0);
      });
      if (problems.length === c.problems.length) return c;
      const state = problems[0]?.kind ?? (c.masked ? 'ok' : 'unknown');
      return { ...c, problems, state };
    });
    for (const key of this.#since.keys()) {
      if (present.has(key)) continue;
      this.#since.delete(key);
      changed = true;
    }
    if (changed) this.#save();
    return out;
  }

  #save(): void {
    if (!this.#file) return;
    // Lost on a failed write: the next change writes them all again; at worst a grace starts over.
    void writePrivateFile(this.#file, () =>
      JSON.stringify({ version: 1, since: Object.fromEntries(this.#since) }),
    ).catch(() => undefined);
  }
}

function parseAges(value: unknown): Map<string, number> {
  const v = value as { version?: unknown; since?: unknown };
  if (v?.version !== 1 || typeof v.since !== 'object' || v.since === null)
    throw new Error('not a version 1 list of problem ages');
  const out = new Map<string, number>();
  for (const [key, since] of Object.entries(v.since)) {
    if (typeof since !== 'number' || !Number.isFinite(since)) throw new Error(`no time for ${key}`);
    out.set(key, since);
  }
  return out;
}
