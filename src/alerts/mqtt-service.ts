import { registerSecret } from '../log.js';

// Asks the Supervisor for the MQTT broker it hands out to add-ons that declare
// `services: ["mqtt:want"]` (config.yaml). supervisor/api/services.py
// (APIServices.get_service, _check_access) and services/modules/mqtt.py:
// `GET /services/mqtt` answers 200 `{result: "ok", data: {host, port, ssl,
// protocol: "3.1" | "3.1.1", username?, password?, addon}}` when a broker add-on
// (Mosquitto) provides the service, 400 "Service not enabled" when none does,
// 403 "No access to mqtt service!" without the `services` key.

export interface MqttBroker {
  host: string;
  port: number;
  ssl: boolean;
  protocol: '3.1' | '3.1.1';
  username?: string;
  /** A secret: registered for redaction as soon as it is read. */
  password?: string;
}

/**
 * `none`: the Supervisor said so (400, 403) or named no broker; `unknown`: no
 * clear answer (unreachable, a timeout, a 5xx), worth asking again.
 */
export type MqttLookup =
  | { kind: 'broker'; broker: MqttBroker }
  | { kind: 'none'; reason: string }
  | { kind: 'unknown'; reason: string };

export interface MqttLookupOptions {
  supervisorUrl: string;
  /** SUPERVISOR_TOKEN. */
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The broker, or why there is none or no clear answer (never throws). */
export async function lookUpMqtt(o: MqttLookupOptions): Promise<MqttLookup> {
  const doFetch = o.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(`${o.supervisorUrl}/services/mqtt`, {
      headers: { Authorization: `Bearer ${o.token}` },
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
  } catch {
    return { kind: 'unknown', reason: 'the Supervisor could not be reached' };
  }
  let body: { result?: unknown; message?: unknown; data?: Record<string, unknown> } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not the Supervisor's JSON: the status says enough.
  }
  const data = body.data ?? {};
  if (typeof data.password === 'string') registerSecret(data.password);
  if (!response.ok || body.result !== 'ok') {
    // The Supervisor's own words ("Service not enabled"), never an arbitrary page.
    const message = typeof body.message === 'string' ? body.message.slice(0, 200) : '';
    const reason = `${response.status}${message ? ` ${message}` : ''}`;
    const definite = response.status === 400 || response.status === 403;
    return { kind: definite ? 'none' : 'unknown', reason };
  }
  const port = Number(data.port);
  if (typeof data.host !== 'string' || !data.host || !Number.isInteger(port) || port <= 0)
    return { kind: 'none', reason: 'the Supervisor named no broker address' };
  return {
    kind: 'broker',
    broker: {
      host: data.host,
      port,
      ssl: data.ssl === true,
      protocol: data.protocol === '3.1' ? '3.1' : '3.1.1',
      ...(typeof data.username === 'string' ? { username: data.username } : {}),
      ...(typeof data.password === 'string' ? { password: data.password } : {}),
    },
  };
}

/** The broker's URL for mqtt.js: `mqtts://` when the Supervisor says `ssl`. */
export function brokerUrl(b: MqttBroker): string {
  return `${b.ssl ? 'mqtts' : 'mqtt'}://${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
}
