import type { Logger } from '../log.js';
import { type CoreApi, CoreApiError } from './core-api.js';
import { ADDON_PROBLEM_ENTITY, type EntitySink, type EntityState } from './entities.js';

// The state-only way to show the entities (entities.ts): posted through the
// Core API (`POST /api/states/<id>`, components/api/__init__.py
// APIEntityStateView). Core keeps those in memory only: after it restarts
// they are gone until posted again, which the alerts loop does (alerts.ts).
// Each entity is posted only when its state or attributes changed; one this
// add-on posted that is no longer in the list is removed.

/** The attributes a state-only entity carries: its name, class and icon, then the extras. */
export function stateOnlyAttributes(s: EntityState): Record<string, unknown> {
  return {
    friendly_name: `${s.device.name} ${s.label.toLowerCase()}`,
    ...(s.deviceClass ? { device_class: s.deviceClass } : {}),
    ...(s.icon ? { icon: s.icon } : {}),
    ...s.attributes,
  };
}

/**
 * Removes state-only entities this add-on posted before it had a broker
 * (Mosquitto installed later, Core not restarted since): while one holds an
 * entity id, Core's entity registry gives the MQTT entity another one
 * (`…_2`; helpers/entity_registry.py async_generate_entity_id). Only states
 * that look like ours (the state-only friendly name) are removed.
 */
export async function removeStateOnly(api: CoreApi, states: readonly EntityState[]): Promise<void> {
  for (const s of states) {
    const current = await api.getState(s.entityId);
    if (current?.attributes?.friendly_name === stateOnlyAttributes(s).friendly_name)
      await api.removeState(s.entityId);
  }
}

export interface EntityPublisherOptions {
  /** Each refused entity is logged once (a 4xx is about that entity, not an outage). */
  log: Logger;
  /** How long stop() may spend marking the entities unavailable. */
  stopMs?: number;
}

export class EntityPublisher implements EntitySink {
  readonly viaCoreApi = true;
  readonly #api: CoreApi;
  readonly #o: EntityPublisherOptions;
  /** entity id → the JSON last posted (or refused). */
  readonly #posted = new Map<string, string>();
  /** Entity ids Core refused, logged once each. */
  readonly #refused = new Set<string>();
  /** Every id posted by this process, kept across forget(): one gone from the list is removed. */
  readonly #shown = new Set<string>();
  #last: readonly EntityState[] = [];

  constructor(api: CoreApi, options: EntityPublisherOptions) {
    this.#api = api;
    this.#o = options;
  }

  forget(): void {
    this.#posted.clear();
  }

  /** Core keeps state-only entities in memory only: the add-on's own gone means Core restarted (or someone removed it). */
  async lost(): Promise<boolean> {
    return (await this.#api.getState(ADDON_PROBLEM_ENTITY)) === undefined;
  }

  /** Only entities this process showed are removed, never ones found (`complete` does not matter here). */
  async publish(states: readonly EntityState[], _complete?: boolean): Promise<void> {
    this.#last = states;
    for (const s of states) {
      const attributes = stateOnlyAttributes(s);
      const json = JSON.stringify([s.state, attributes]);
      if (this.#posted.get(s.entityId) === json) continue;
      try {
        await this.#api.setState(s.entityId, s.state, attributes);
      } catch (error) {
        if (!refusedEntity(error)) throw error;
        // Core refused this one entity (400 "Invalid entity ID specified."): skip it,
        // not an outage, which would post everything again on every tick.
        if (!this.#refused.has(s.entityId))
          this.#o.log.warning(`Home Assistant refused entity ${s.entityId}; skipping it`, error);
        this.#refused.add(s.entityId);
      }
      this.#posted.set(s.entityId, json);
      if (!this.#refused.has(s.entityId)) this.#shown.add(s.entityId);
    }
    // A credential that left the view (a retired consumer revoked): Core would
    // keep its entities until it restarts. DELETE /api/states/<id>
    // (components/api/__init__.py APIEntityStateView.delete; 404 if gone).
    const wanted = new Set(states.map((s) => s.entityId));
    for (const id of this.#shown) {
      if (wanted.has(id)) continue;
      await this.#api.removeState(id).catch((error: unknown) => {
        if (!(error instanceof CoreApiError && error.status === 404)) throw error;
      });
      this.#shown.delete(id);
      this.#posted.delete(id);
    }
  }

  /**
   * Marks the entities `unavailable`, as MQTT's last will does: a stopped
   * add-on's entities would otherwise show their last state as if current.
   * Bounded: the add-on's stop must go on to flush its files.
   */
  async stop(): Promise<void> {
    const entities = this.#last.filter((s) => !this.#refused.has(s.entityId));
    this.#last = [];
    const deadline = new Promise<void>((resolve) =>
      setTimeout(resolve, this.#o.stopMs ?? 1000).unref?.(),
    );
    const mark = (async () => {
      for (const s of entities)
        await this.#api.setState(s.entityId, 'unavailable', stateOnlyAttributes(s));
    })().catch(() => undefined); // Core away: nothing to mark.
    await Promise.race([mark, deadline]);
  }
}

/** A 4xx other than 401 (the Supervisor refusing the add-on: an outage) is about the request itself. */
function refusedEntity(error: unknown): boolean {
  return (
    error instanceof CoreApiError &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 401 &&
    error.status !== 403
  );
}
