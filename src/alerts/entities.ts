import type { State } from '../status/status-model.js';
import type { CoreApi } from './core-api.js';
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

/** `addon`, `consumer:<name>` → a safe object id part (lower case, `_` for anything else). */
export function objectId(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
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
      state: c.problems.length > 0 ? 'on' : 'off',
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

export class EntityPublisher implements EntitySink {
  readonly #api: CoreApi;
  /** entity id → the JSON last posted. */
  readonly #posted = new Map<string, string>();

  constructor(api: CoreApi) {
    this.#api = api;
  }

  forget(): void {
    this.#posted.clear();
  }

  /** Core keeps state-only entities in memory only: the add-on's own gone means Core restarted (or someone removed it). */
  async lost(): Promise<boolean> {
    return (await this.#api.getState(ADDON_PROBLEM_ENTITY)) === undefined;
  }

  async publish(states: readonly EntityState[]): Promise<void> {
    for (const s of states) {
      const attributes = stateOnlyAttributes(s);
      const json = JSON.stringify([s.state, attributes]);
      if (this.#posted.get(s.entityId) === json) continue;
      await this.#api.setState(s.entityId, s.state, attributes);
      this.#posted.set(s.entityId, json);
    }
  }

  async stop(): Promise<void> {}
}
