import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { readPrivateJson, writePrivateFile } from '../files.js';
import type { StatusModel } from '../status/status-model.js';
import {
  credentialView,
  type ManagedCredential,
  PROBLEM_KINDS,
  type ViewOptions,
} from './credential-view.js';
import { ProblemAges } from './problem-ages.js';

// The last 24 hours of each credential's state for the page's small history
// chart. A point is kept only when the state changes, so the list stays short
// however often the status changes. With a data directory the tracks are kept
// in `history.json` (names, states and times only — nothing about a token's
// value) and read back at start, so a restart of the add-on does not blank
// the chart; the time the add-on was down shows as the last state before it.

export const HISTORY_FILE = 'history.json';

export const HISTORY_MS = 24 * 3_600_000;

export interface HistoryPoint {
  at: number;
  state: ManagedCredential['state'];
}

export interface CredentialHistory {
  id: string;
  name: string;
  points: HistoryPoint[];
}

export class HistoryRecorder {
  readonly #clock: Clock;
  readonly #view: Omit<ViewOptions, 'now'>;
  readonly #file: string | undefined;
  readonly #tracks = new Map<string, CredentialHistory>();
  #unsubscribe: (() => void) | undefined;
  #saving: Promise<void> = Promise.resolve();
  /**
   * Its own, in memory, not the alerts' kept ones: those must not be judged
   * before the credential work has loaded (they would forget every problem
   * the start-up view does not show yet). After a restart of the add-on the
   * chart shows a lasting graced problem again once its grace has passed.
   */
  readonly #ages = new ProblemAges();

  constructor(clock: Clock, view: Omit<ViewOptions, 'now'>, dataDir?: string) {
    this.#clock = clock;
    this.#view = view;
    this.#file = dataDir === undefined ? undefined : join(dataDir, HISTORY_FILE);
  }

  /**
   * Reads the tracks kept before a restart; returns a problem to log when the
   * file was damaged (it is kept beside itself and the chart starts empty —
   * the history is a picture, nothing depends on it).
   */
  async load(): Promise<string | undefined> {
    if (!this.#file) return undefined;
    const read = await readPrivateJson(this.#file, parseTracks);
    if (read.kind === 'damaged') return `${read.problem}; the state history starts empty`;
    if (read.kind !== 'ok') return undefined;
    const since = this.#clock.now() - HISTORY_MS;
    for (const track of read.value) {
      // A point stays while the next one is inside the window (the last one always: it is the state since).
      const points = track.points.filter((_, i, all) => (all[i + 1]?.at ?? since) >= since);
      if (points.length > 0) this.#tracks.set(track.id, { ...track, points });
    }
    return undefined;
  }

  watch(status: StatusModel): void {
    this.#unsubscribe = status.subscribe(() => this.record(status));
    this.record(status);
  }

  /** Stops recording; resolves when the last change is on disk. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.#saving;
  }

  record(status: StatusModel): void {
    const now = this.#clock.now();
    let changed = false;
    // A problem counts once it has lasted its grace, as for the entities (problem-ages.ts).
    for (const c of this.#ages.filter(
      credentialView(status.snapshot(), { ...this.#view, now }),
      now,
    )) {
      const track = this.#tracks.get(c.id) ?? { id: c.id, name: c.name, points: [] };
      this.#tracks.set(c.id, track);
      if (track.points.at(-1)?.state !== c.state) {
        track.points.push({ at: now, state: c.state });
        changed = true;
      }
      // Keep the last point before the window: it says what the state was at its start.
      while ((track.points[1]?.at ?? now) < now - HISTORY_MS) track.points.shift();
    }
    if (changed) this.#save();
  }

  #save(): void {
    const file = this.#file;
    if (!file) return;
    // A failed write loses only the picture of the last change; the next change writes it all again.
    this.#saving = writePrivateFile(file, () =>
      JSON.stringify({ version: 1, tracks: this.tracks() }),
    ).catch(() => undefined);
  }

  tracks(): CredentialHistory[] {
    return [...this.#tracks.values()].map((t) => ({ ...t, points: [...t.points] }));
  }
}

const STATES = new Set<string>(['ok', 'unknown', 'retired', ...PROBLEM_KINDS]);

function parseTracks(value: unknown): CredentialHistory[] {
  const v = value as { version?: unknown; tracks?: unknown };
  if (v?.version !== 1 || !Array.isArray(v.tracks)) throw new Error('not a version 1 history');
  return v.tracks.map((t: Partial<CredentialHistory>) => {
    if (typeof t?.id !== 'string' || typeof t.name !== 'string' || !Array.isArray(t.points)) {
      throw new Error('a track without id, name or points');
    }
    for (const p of t.points) {
      if (typeof p?.at !== 'number' || !STATES.has(p.state))
        throw new Error('a point without time or state');
    }
    return { id: t.id, name: t.name, points: t.points };
  });
}
