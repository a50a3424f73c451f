import { ADDON_PROBLEM_ENTITY } from './entities.js';

// What Core shows of the MQTT entities, looked at on every check tick of the
// alerts loop (alerts.ts #check → EntitySink.lost). Two questions:
//
// Did discovery work? A broker that takes our configs proves nothing: Home
// Assistant's MQTT integration may be on another broker, or have discovery off
// or another prefix. If the add-on's problem entity does not show in Core
// within `confirmMs` of the first configs, `onNotDiscovered` is told (once):
// start.ts then falls back to state-only entities. The wait pauses while Core
// does not answer or shows only what its registry restored at a start (it has
// not set MQTT up yet), and before giving up every state is searched for our
// entity under another id (`find`: the user renamed it with its device).
//
// Did Core restart? Its birth message says so, but it may be off in the MQTT
// integration's options, or sent while the broker connection was down (it is
// not retained). Core's API not answering, or our entity gone once it had
// shown, is an outage of Core: when Core shows the entity again, lost()
// answers true once and the alerts loop posts the notifications again. A
// broker reconnect alone is not such a sign (mqtt-entities.ts): Core kept its
// notifications, and a dismissed one would come back.

export interface CoreWatchOptions {
  /** Core's state of the add-on's problem entity (`{state, attributes}`); undefined when Core has none (404). */
  probe: (entityId: string) => Promise<unknown>;
  /** Told once when the entities do not show in Core within `confirmMs` of the first configs sent. */
  onNotDiscovered: () => void;
  /** Our problem entity's id in Core whatever the user renamed it to; undefined when Core shows none. */
  find?: () => Promise<string | undefined>;
  /** Default 60 s. */
  confirmMs?: number;
  now?: () => number;
}

export class CoreWatch {
  readonly #o: CoreWatchOptions;
  /** When the first configs were sent. */
  #since: number | undefined;
  #shown = false;
  #gaveUp = false;
  /** The add-on's problem entity's id in Core (the user may have renamed it). */
  #entityId = ADDON_PROBLEM_ENTITY;
  /** Core was away (or lost the entity) since it last showed it. */
  #unsure = false;
  /** Looks in a row that Core did not answer. */
  #failures = 0;

  constructor(o: CoreWatchOptions) {
    this.#o = o;
  }

  /** The first configs went out: the time to show them starts. */
  sent(): void {
    this.#since ??= (this.#o.now ?? Date.now)();
  }

  /** Whether Core may have lost its notifications since the last look (it was away). Throws when Core does not answer. */
  async lost(): Promise<boolean> {
    let state: unknown;
    try {
      state = await this.#o.probe(this.#entityId);
    } catch (error) {
      // Twice in a row (a check tick apart, 10 s): one lost answer (a timeout
      // through the Supervisor's proxy) is no restart, and taking it for one
      // would post again the notifications a person dismissed.
      this.#failures++;
      if (this.#failures >= 2) this.#unsure = true;
      this.#pause();
      throw error;
    }
    this.#failures = 0;
    const { state: value, attributes } = (state ?? {}) as {
      state?: unknown;
      attributes?: Record<string, unknown>;
    };
    if (!this.#shown) {
      // Ours while connected is never `unavailable` (our availability says
      // `online`); an entity left in the registry from an earlier time, or fed
      // by a stale config on another broker, is.
      if (state === undefined || value === 'unavailable') {
        if (attributes?.restored === true) this.#pause();
        await this.#checkDiscovered();
        return false;
      }
      this.#shown = true;
    }
    // Gone, or restored by Core's entity registry at its start
    // (helpers/entity_registry.py writes `restored: true` unavailable states)
    // before MQTT set it up: Core started again. `unavailable` alone is not a
    // sign: the broker connection was down (our last will). Gone may also be
    // renamed: then it is still there under its new id.
    if (state === undefined && (await this.#renamed())) return false;
    if (state === undefined || attributes?.restored === true) {
      this.#unsure = true;
      return false;
    }
    const lost = this.#unsure;
    this.#unsure = false;
    return lost;
  }

  /** Core was away or is starting: the time to show the entity starts again. */
  #pause(): void {
    if (this.#since !== undefined) this.#since = (this.#o.now ?? Date.now)();
  }

  async #renamed(): Promise<boolean> {
    const id = await this.#o.find?.().catch(() => undefined);
    if (id === undefined || id === this.#entityId) return false;
    this.#entityId = id;
    return true;
  }

  async #checkDiscovered(): Promise<void> {
    const now = (this.#o.now ?? Date.now)();
    if (this.#gaveUp || this.#since === undefined) return;
    if (now - this.#since < (this.#o.confirmMs ?? 60_000)) return;
    if (await this.#renamed()) {
      this.#shown = true;
      return;
    }
    this.#gaveUp = true;
    this.#o.onNotDiscovered();
  }
}

/**
 * The add-on's problem entity among all of Core's states, under whatever id:
 * the only binary sensor with our `credentials_with_problems` attribute,
 * shown (not `unavailable`, not a registry placeholder).
 */
export function findProblemEntity(
  states: readonly { entity_id: string; state: string; attributes?: Record<string, unknown> }[],
): string | undefined {
  return states.find(
    (s) =>
      s.entity_id.startsWith('binary_sensor.') &&
      s.attributes !== undefined &&
      'credentials_with_problems' in s.attributes &&
      s.state !== 'unavailable' &&
      s.attributes.restored !== true,
  )?.entity_id;
}
