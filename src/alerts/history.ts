import type { Clock } from '../clock.js';
import type { StatusModel } from '../status/status-model.js';
import { credentialView, type ManagedCredential, type ViewOptions } from './credential-view.js';

// The last 24 hours of each credential's state, in memory, for the page's
// small history chart. A point is kept only when the state changes, so the
// list stays short however often the status changes.

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
  readonly #tracks = new Map<string, CredentialHistory>();
  #unsubscribe: (() => void) | undefined;

  constructor(clock: Clock, view: Omit<ViewOptions, 'now'>) {
    this.#clock = clock;
    this.#view = view;
  }

  watch(status: StatusModel): void {
    this.#unsubscribe = status.subscribe(() => this.record(status));
    this.record(status);
  }

  stop(): void {
    this.#unsubscribe?.();
  }

  record(status: StatusModel): void {
    const now = this.#clock.now();
    for (const c of credentialView(status.snapshot(), { ...this.#view, now })) {
      const track = this.#tracks.get(c.id) ?? { id: c.id, name: c.name, points: [] };
      this.#tracks.set(c.id, track);
      if (track.points.at(-1)?.state !== c.state) track.points.push({ at: now, state: c.state });
      // Keep the last point before the window: it says what the state was at its start.
      while ((track.points[1]?.at ?? now) < now - HISTORY_MS) track.points.shift();
    }
  }

  tracks(): CredentialHistory[] {
    return [...this.#tracks.values()].map((t) => ({ ...t, points: [...t.points] }));
  }
}
