import type { State } from '../status/status-model.js';
import type { CoreApi } from './core-api.js';
import type { ManagedCredential } from './credential-view.js';

// State-only entities posted through the Core API (`POST /api/states/<id>`,
// components/api/__init__.py APIEntityStateView). Core keeps them in memory
// only: after it restarts they are gone until posted again, which the alerts
// loop does (alerts.ts). Each entity is posted only when its state or
// attributes changed.

export interface EntityState {
  entityId: string;
  state: string;
  attributes: Record<string, unknown>;
}

export const ADDON_PROBLEM_ENTITY = 'binary_sensor.ha_token_manager_problem';

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
      state: problems.length > 0 || addonState === 'misconfigured' ? 'on' : 'off',
      attributes: {
        friendly_name: 'HA Token Manager problem',
        device_class: 'problem',
        credentials_with_problems: problems.map((c) => c.name),
      },
    },
    {
      entityId: 'sensor.ha_token_manager_state',
      state: addonState,
      attributes: { friendly_name: 'HA Token Manager state', icon: 'mdi:key-chain-variant' },
    },
  ];
  return [...whole, ...credentials.flatMap(credentialEntities)];
}

function credentialEntities(c: ManagedCredential): EntityState[] {
  const base = `ha_token_manager_${objectId(c.id)}`;
  const common = { credential: c.id, token: c.masked ?? null };
  const timestamp = (suffix: string, label: string, value: string | undefined, icon: string) => ({
    entityId: `sensor.${base}_${suffix}`,
    state: value ?? 'unknown',
    attributes: {
      friendly_name: `${c.name} ${label}`,
      device_class: 'timestamp',
      icon,
      ...common,
    },
  });
  return [
    {
      entityId: `binary_sensor.${base}_problem`,
      state: c.problems.length > 0 ? 'on' : 'off',
      attributes: {
        friendly_name: `${c.name} problem`,
        device_class: 'problem',
        problems: c.problems.map((p) => p.kind),
        ...common,
      },
    },
    {
      entityId: `sensor.${base}_state`,
      state: c.state,
      attributes: {
        friendly_name: `${c.name} state`,
        icon: 'mdi:key-variant',
        reason: c.problems[0]?.message ?? null,
        ...common,
      },
    },
    timestamp('expires', 'expires', c.expiresAt, 'mdi:calendar-clock'),
    timestamp('last_used', 'last used', c.lastUsedAt, 'mdi:clock-check-outline'),
    timestamp('last_rotated', 'last rotated', c.lastRotatedAt, 'mdi:rotate-right'),
  ];
}

export class EntityPublisher {
  readonly #api: CoreApi;
  /** entity id → the JSON last posted. */
  readonly #posted = new Map<string, string>();

  constructor(api: CoreApi) {
    this.#api = api;
  }

  forget(): void {
    this.#posted.clear();
  }

  async publish(states: readonly EntityState[]): Promise<void> {
    for (const s of states) {
      const json = JSON.stringify([s.state, s.attributes]);
      if (this.#posted.get(s.entityId) === json) continue;
      await this.#api.setState(s.entityId, s.state, s.attributes);
      this.#posted.set(s.entityId, json);
    }
  }
}
