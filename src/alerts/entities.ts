import { createHash } from 'node:crypto';
import { consumerName } from '../rotation/record.js';
import type { State } from '../status/status-model.js';
import type { ManagedCredential } from './credential-view.js';

// One model of the add-on's entities and their ids. Two sinks show it: the
// state-only way (state-only.ts) and MQTT discovery (mqtt-entities.ts), so
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
  /**
   * Whether it goes through the Core API as the notifications do (state-only):
   * then the entities go first, as one outage. Else (MQTT) the notifications
   * do not wait for it: a slow or absent broker must not hold them back.
   */
  readonly viaCoreApi: boolean;
  /**
   * Shows these entities; only what changed since the last call is sent.
   * `complete`: they are every credential there is, so entities found for
   * others may be removed; not while the options need fixing (the view then
   * holds only the add-on's own token, and removing the consumers' entities
   * would lose their devices, areas and names in Home Assistant).
   */
  publish(states: readonly EntityState[], complete: boolean): Promise<void>;
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
  const name = consumerName(id);
  if (name === undefined) return id;
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
