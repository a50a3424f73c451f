import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import type { State } from '../status/status-model.js';
import { type CoreApi, CoreApiError } from './core-api.js';
import type { ManagedCredential } from './credential-view.js';

// One model of the add-on's entities, and the state-only way to show them:
// posted through the Core API (`POST /api/states/<id>`,
// components/api/__init__.py APIEntityStateView). Core keeps those in memory
// only: after it restarts they are gone until posted again, which the alerts
// loop does (alerts.ts). Each entity is posted only when its state or
// attributes changed. The MQTT way (mqtt-entities.ts) reads the same model, so
// the two cannot drift: same entity ids, names, states and attributes.

/** The device an entity belongs to: the add-on as a whole, or one managed credential. */
export interface EntityDevice {
  /** `ha_token_manager`, or `ha_token_manager_<credential object id>`: the device's identifier. */
  key: string;
  name: string;
  /** Unset for the add-on as a whole; every credential's device hangs off it. */
  credential?: string;
}

export interface EntityState {
  /** `binary_sensor.ha_token_manager_addon_problem`: the id both ways create. */
  entityId: string;
  component: 'binary_sensor' | 'sensor';
  device: EntityDevice;
  /** The entity's own name on its device (`Problem`, `Last used`). */
  label: string;
  /** `on`/`off` for a binary sensor; `unknown` when nothing is known. */
  state: string;
  deviceClass?: 'problem' | 'timestamp';
  icon?: string;
  /** Extra attributes: the masked token, the credential id, the problems; never a token. */
  attributes: Record<string, unknown>;
}

/** Where Home Assistant is told about entities: the Core API (state-only) or MQTT discovery. */
export interface EntitySink {
  /** Shows these entities; only what changed since the last call is sent. */
  publish(states: readonly EntityState[]): Promise<void>;
  /** Home Assistant forgot what it was shown: send everything at the next publish. */
  forget(): void;
  /** Whether Home Assistant lost the entities since the last look (it restarted). */
  lost(): Promise<boolean>;
  stop(): Promise<void>;
}

export const ADDON_PROBLEM_ENTITY = 'binary_sensor.ha_token_manager_problem';
export const ADDON_DEVICE: EntityDevice = { key: 'ha_token_manager', name: 'HA Token Manager' };

/**
 * Home Assistant's rule for an object id (homeassistant/core.py
 * valid_entity_id): `[a-z0-9_]`, no `__`, no `_` first or last. POST
 * /api/states answers 400 for anything else; MQTT discovery's node and object
 * ids (components/mqtt/discovery.py) allow `[a-zA-Z0-9_-]`, a superset.
 */
export const VALID_OBJECT_ID = /^(?!_)(?!.*__)[a-z0-9_]+(?<!_)$/;

/** `alexa-skill` → `alexa_skill`: every other character `_`, runs collapsed, none at the ends. */
export function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Ends an id the slug had to change; a name ending like this is hashed too, so ids stay distinct. */
const HASHED = /_[0-9a-f]{6}$/;

/**
 * `addon`, `consumer:<name>` → the credential's object id part, one to one
 * (docs/alerts.md, "Entity ids"): a name that already is a valid object id
 * keeps it (`consumer_alexa`, `consumer_alexa_skill`); any other (`alexa-skill`,
 * `alexa_`, `a__b`) gets its slug plus 6 hex digits of the name's SHA-256
 * (`consumer_alexa_skill_3f9a0c`), so `alexa-skill` and `alexa_skill` never
 * share entities or notifications.
 */
export function objectId(id: string): string {
  if (id === 'addon') return 'addon';
  const name = id.replace(/^consumer:/, '');
  if (VALID_OBJECT_ID.test(name) && !HASHED.test(name)) return `consumer_${name}`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  const slug = slugOf(name);
  return `consumer_${slug ? `${slug}_` : ''}${hash}`;
}

export function entityStates(
  addonState: State,
  credentials: readonly ManagedCredential[],
): EntityState[] {
  const problems = credentials.filter((c) => c.problems.length > 0);
  const whole: EntityState[] = [
    {
      entityId: ADDON_PROBLEM_ENTITY,
      component: 'binary_sensor',
      device: ADDON_DEVICE,
      label: 'Problem',
      state: problems.length > 0 || addonState === 'misconfigured' ? 'on' : 'off',
      deviceClass: 'problem',
      attributes: { credentials_with_problems: problems.map((c) => c.name) },
    },
    {
      entityId: 'sensor.ha_token_manager_state',
      component: 'sensor',
      device: ADDON_DEVICE,
      label: 'State',
      state: addonState,
      icon: 'mdi:key-chain-variant',
      attributes: {},
    },
  ];
  return [...whole, ...credentials.flatMap(credentialEntities)];
}

function credentialEntities(c: ManagedCredential): EntityState[] {
  const base = `ha_token_manager_${objectId(c.id)}`;
  const device: EntityDevice = { key: base, name: c.name, credential: c.id };
  const common = { credential: c.id, token: c.masked ?? null };
  const timestamp = (
    suffix: string,
    label: string,
    value: string | undefined,
    icon: string,
  ): EntityState => ({
    entityId: `sensor.${base}_${suffix}`,
    component: 'sensor',
    device,
    label,
    state: value ?? 'unknown',
    deviceClass: 'timestamp',
    icon,
    attributes: { ...common },
  });
  return [
    {
      entityId: `binary_sensor.${base}_problem`,
      component: 'binary_sensor',
      device,
      label: 'Problem',
      // Nothing known yet is not "no problem": `off` then `on` would fire a `to: "on"` automation.
      state: c.problems.length > 0 ? 'on' : c.state === 'unknown' ? 'unknown' : 'off',
      deviceClass: 'problem',
      attributes: { problems: c.problems.map((p) => p.kind), ...common },
    },
    {
      entityId: `sensor.${base}_state`,
      component: 'sensor',
      device,
      label: 'State',
      state: c.state,
      icon: 'mdi:key-variant',
      attributes: { reason: c.problems[0]?.message ?? null, ...common },
    },
    timestamp('expires', 'Expires', c.expiresAt, 'mdi:calendar-clock'),
    timestamp('last_used', 'Last used', c.lastUsedAt, 'mdi:clock-check-outline'),
    timestamp('last_rotated', 'Last rotated', c.lastRotatedAt, 'mdi:rotate-right'),
  ];
}

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
  readonly #api: CoreApi;
  readonly #o: EntityPublisherOptions;
  /** entity id → the JSON last posted (or refused). */
  readonly #posted = new Map<string, string>();
  /** Entity ids Core refused, logged once each. */
  readonly #refused = new Set<string>();
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

  async publish(states: readonly EntityState[]): Promise<void> {
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
