import type { ManagedCredential } from './credential-view.js';

// Some problems count only once they have lasted (a problem's graceMs): a
// consumer's rejected token the add-on replaces by itself within seconds is
// not worth a notification. This remembers since when each problem of each
// credential has been present, and forgets it as soon as it is gone.

export class ProblemAges {
  readonly #since = new Map<string, number>();

  /** The credentials with the problems younger than their grace left out (and the state to match). */
  filter(credentials: readonly ManagedCredential[], now: number): ManagedCredential[] {
    const present = new Set<string>();
    const out = credentials.map((c) => {
      const problems = c.problems.filter((p) => {
        const key = `${c.id}\u0000${p.kind}`;
        present.add(key);
        const since = this.#since.get(key) ?? now;
        this.#since.set(key, since);
        return now - since >= (p.graceMs ?? 0);
      });
      if (problems.length === c.problems.length) return c;
      const state = problems[0]?.kind ?? (c.masked ? 'ok' : 'unknown');
      return { ...c, problems, state };
    });
    for (const key of this.#since.keys()) if (!present.has(key)) this.#since.delete(key);
    return out;
  }
}
