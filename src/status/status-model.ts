import type { Clock } from '../clock.js';
import { redact } from '../log.js';
import type {
  BusSignal,
  ConnectionInfo,
  ConsumerInfo,
  EventLevel,
  RotationInfo,
  ScheduleInfo,
  State,
  StatusEvent,
  StatusSnapshot,
  TokenInfo,
} from './snapshot.js';

// The single record of what is true now, plus a bounded ring of recent events.
// Modules report here; the HTTP server only reads snapshots. No I/O.

// Re-exported: modules import the model and the snapshot's types from one place.
export * from './snapshot.js';

export type StatusListener = (snapshot: StatusSnapshot) => void;

export class StatusModel {
  readonly #clock: Clock;
  readonly #maxEvents: number;
  readonly #startedAt: string;
  #state: State = 'starting';
  #reason = 'The add-on is starting.';
  #since: string;
  /** Set while a fallback stands in for the source; turns `connected` into `degraded`. */
  #degraded: { reason: string; since: string } | undefined;
  #problems: string[] = [];
  #notices: string[] = [];
  #token: TokenInfo | undefined;
  #connection: ConnectionInfo | undefined;
  readonly #schedules = new Map<string, ScheduleInfo>();
  #rotation: RotationInfo | undefined;
  #consumers: ConsumerInfo[] = [];
  #events: StatusEvent[] = [];
  readonly #listeners = new Set<StatusListener>();
  readonly #counters = new Map<string, number>();
  #json: string | undefined;
  #snapshot: StatusSnapshot | undefined;

  constructor(clock: Clock, maxEvents = 50) {
    this.#clock = clock;
    this.#maxEvents = maxEvents;
    this.#startedAt = this.#iso();
    this.#since = this.#startedAt;
  }

  /** The overall state: what setState said, or `degraded` while connected on a fallback. */
  get state(): State {
    return this.#effective().state;
  }

  setState(state: State, reason: string): void {
    if (state === this.#state && reason === this.#reason) return;
    this.#transition(() => {
      this.#state = state;
      this.#reason = reason;
    });
  }

  /** A fallback is in use (`reason`), or no longer (`undefined`). */
  setDegraded(reason: string | undefined): void {
    if (reason === this.#degraded?.reason) return;
    this.#transition(() => {
      this.#degraded =
        reason === undefined ? undefined : { reason, since: this.#degraded?.since ?? this.#iso() };
    });
  }

  #transition(change: () => void): void {
    const before = this.#effective().state;
    change();
    if (this.#effective().state !== before) this.#since = this.#iso();
    this.#changed();
  }

  #effective(): { state: State; reason: string } {
    if (this.#degraded && this.#state === 'connected') {
      return { state: 'degraded', reason: `${this.#reason} ${this.#degraded.reason}` };
    }
    return { state: this.#state, reason: this.#reason };
  }

  setProblems(problems: readonly string[]): void {
    this.#problems = [...problems];
    this.#changed();
  }

  /** Adds a notice (once) and records it as a warning event from `source`. */
  addNotice(message: string, source = 'files'): void {
    if (this.#notices.includes(message)) return;
    this.#notices = [...this.#notices, message];
    this.event('warning', source, message);
  }

  updateToken(info: Partial<TokenInfo> & Pick<TokenInfo, 'source' | 'sourceDescription'>): void {
    this.#token = { ...this.#token, ...info };
    this.#changed();
  }

  patchToken(info: Partial<TokenInfo>): void {
    if (!this.#token) return;
    this.#token = { ...this.#token, ...info };
    this.#changed();
  }

  updateConnection(info: Partial<ConnectionInfo> & Pick<ConnectionInfo, 'url'>): void {
    this.#connection = { connected: false, reconnects: 0, ...this.#connection, ...info };
    this.#changed();
  }

  updateRotation(info: Partial<RotationInfo>): void {
    this.#rotation = {
      available: false,
      running: false,
      graceMinutes: 0,
      pending: [],
      journal: [],
      problems: [],
      ...this.#rotation,
      ...info,
    };
    this.#changed();
  }

  updateConsumers(consumers: readonly ConsumerInfo[]): void {
    this.#consumers = [...consumers];
    this.#changed();
  }

  updateSchedule(info: ScheduleInfo): void {
    this.#schedules.set(info.name, { ...this.#schedules.get(info.name), ...info });
    this.#changed();
  }

  /** Adds an event line; `bus` when it is also an event for Home Assistant's bus. */
  event(level: EventLevel, source: string, message: string, bus?: BusSignal): void {
    this.#events.unshift({ at: this.#iso(), level, source, message, ...(bus ? { bus } : {}) });
    if (this.#events.length > this.#maxEvents) this.#events.length = this.#maxEvents;
    this.#changed();
  }

  /** What is true now. Built once per change and frozen: readers share it, nobody mutates it. */
  snapshot(): StatusSnapshot {
    // Every string is redacted on the way out, whoever reported it: the
    // messages are ours and mask tokens, but a library's error text may not.
    this.#snapshot ??= deepFreeze(redactStrings(this.#build()));
    return this.#snapshot;
  }

  #build(): StatusSnapshot {
    const { state, reason } = this.#effective();
    // Shares the model's objects: redactStrings, which always runs on it, copies them.
    return {
      state,
      reason,
      since: this.#since,
      degradedSince: this.#degraded?.since,
      startedAt: this.#startedAt,
      problems: this.#problems,
      notices: this.#notices,
      token: this.#token,
      connection: this.#connection,
      schedules: [...this.#schedules.values()],
      rotation: this.#rotation,
      consumers: this.#consumers,
      events: this.#events,
    };
  }

  /** Called after every change; returns the unsubscribe function. */
  subscribe(listener: StatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Counts an occurrence for /metrics, e.g. count('source_reads', 'ok'). */
  count(name: string, label = ''): void {
    const key = `${name}\u0000${label}`;
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + 1);
  }

  /** Totals by label of a counter (labels never counted are absent). */
  counter(name: string): Map<string, number> {
    const totals = new Map<string, number>();
    for (const [key, value] of this.#counters) {
      const [n, label] = key.split('\u0000');
      if (n === name) totals.set(label ?? '', value);
    }
    return totals;
  }

  /** The snapshot as JSON, serialized once per change: /api/status is polled by every open page. */
  json(): string {
    this.#json ??= JSON.stringify(this.snapshot());
    return this.#json;
  }

  #changed(): void {
    this.#json = undefined;
    this.#snapshot = undefined;
    if (this.#listeners.size === 0) return;
    const snapshot = this.snapshot();
    for (const listener of this.#listeners) listener(snapshot);
  }

  #iso(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function redactStrings<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactStrings) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v)])) as T;
  }
  return value;
}
