import { ADDON_DEVICE, type EntityDevice, type EntityState } from './entities.js';

// The add-on's entities as MQTT discovery messages (Home Assistant's
// components/mqtt: discovery.py, entity.py, schemas.py), the way zigbee2mqtt
// publishes its devices: one retained config per entity under
// `homeassistant/<component>/ha_token_manager/<object>/config`, one device per
// managed credential hanging off the add-on's own device (`via_device`), one
// retained state JSON per device read by `value_template`s, and one
// availability topic for all, `offline` as the connection's last will. Pure:
// the same entity model as the state-only way (entities.ts) in, topics and
// payloads out.

export const DISCOVERY_PREFIX = 'homeassistant';
/** Home Assistant's MQTT birth and will topic (components/mqtt, DEFAULT_BIRTH / DEFAULT_WILL). */
export const BIRTH_TOPIC = `${DISCOVERY_PREFIX}/status`;
export const NODE_ID = 'ha_token_manager';
export const AVAILABILITY_TOPIC = `${NODE_ID}/availability`;
/** Our retained discovery configs, for finding ones no credential needs any more. */
export const CONFIG_FILTER = `${DISCOVERY_PREFIX}/+/${NODE_ID}/+/config`;

export interface DiscoveryInfo {
  /** The add-on's version (the Supervisor's `/addons/self/info`), for the devices' `sw_version`. */
  version?: string;
}

/** Topic → retained payload: every config and state message these entities need. */
export function discoveryMessages(
  states: readonly EntityState[],
  info: DiscoveryInfo,
): Map<string, string> {
  const messages = new Map<string, string>();
  const deviceStates = new Map<string, Record<string, unknown>>();
  for (const s of states) {
    const object = objectPart(s.entityId);
    const key = stateKey(s);
    const topic = stateTopic(s.device);
    messages.set(configTopic(s), JSON.stringify(config(s, object, key, topic, info)));
    const values = deviceStates.get(topic) ?? {};
    // `None` is what Home Assistant's MQTT sensors read as unknown (components/mqtt const.py PAYLOAD_NONE).
    values[key] = { state: s.state === 'unknown' ? null : s.state, attributes: s.attributes };
    deviceStates.set(topic, values);
  }
  for (const [topic, values] of deviceStates) messages.set(topic, JSON.stringify(values));
  return messages;
}

export function configTopic(s: EntityState): string {
  const object = objectPart(s.entityId).replace(new RegExp(`^${NODE_ID}_`), '');
  return `${DISCOVERY_PREFIX}/${s.component}/${NODE_ID}/${object}/config`;
}

function config(
  s: EntityState,
  object: string,
  key: string,
  topic: string,
  info: DiscoveryInfo,
): Record<string, unknown> {
  return {
    name: s.label,
    unique_id: object,
    // Home Assistant 2025.10 and later name the entity from default_entity_id;
    // older ones (2024.3, the oldest the add-on supports) from object_id. Each
    // drops the key it does not know (the discovery schemas' REMOVE_EXTRA).
    default_entity_id: s.entityId,
    object_id: object,
    ...(s.deviceClass ? { device_class: s.deviceClass } : {}),
    ...(s.icon ? { icon: s.icon } : {}),
    state_topic: topic,
    value_template: `{{ value_json.${key}.state }}`,
    ...(s.component === 'binary_sensor' ? { payload_on: 'on', payload_off: 'off' } : {}),
    json_attributes_topic: topic,
    json_attributes_template: `{{ value_json.${key}.attributes | tojson }}`,
    availability_topic: AVAILABILITY_TOPIC,
    device: device(s.device, info),
    origin: {
      name: 'HA Token Manager',
      ...(info.version ? { sw_version: info.version } : {}),
      support_url: 'https://github.com/ha-token-manager/ha-token-manager',
    },
  };
}

function device(d: EntityDevice, info: DiscoveryInfo): Record<string, unknown> {
  const version = info.version ? { sw_version: info.version } : {};
  if (d.credential === undefined) {
    return {
      identifiers: [d.key],
      name: d.name,
      manufacturer: 'HA Token Manager',
      model: 'Home Assistant add-on',
      ...version,
    };
  }
  return {
    identifiers: [d.key],
    name: d.name,
    manufacturer: 'HA Token Manager',
    model: d.credential === 'addon' ? "Add-on's own token" : 'Consumer token',
    ...version,
    via_device: ADDON_DEVICE.key,
  };
}

/** `ha_token_manager/state` for the add-on as a whole, `ha_token_manager/<credential>/state` per credential. */
export function stateTopic(d: EntityDevice): string {
  const credential = d.key.slice(ADDON_DEVICE.key.length + 1);
  return credential ? `${NODE_ID}/${credential}/state` : `${NODE_ID}/state`;
}

/** `binary_sensor.ha_token_manager_addon_problem` → `ha_token_manager_addon_problem`. */
function objectPart(entityId: string): string {
  return entityId.slice(entityId.indexOf('.') + 1);
}

/** The entity's key in its device's state JSON: `problem`, `last_used`. */
function stateKey(s: EntityState): string {
  return objectPart(s.entityId).slice(s.device.key.length + 1);
}
