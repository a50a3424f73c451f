import type { MqttBroker } from './mosquitto.js';

interface FlowStep {
  type?: string;
  flow_id?: string;
  step_id?: string;
  errors?: unknown;
  result?: { state?: string };
}

/**
 * Sets up Home Assistant's MQTT integration against `broker` through its
 * config flow, as a user does in Settings → Devices & services (REST:
 * components/config/config_entries.py; the flow: components/mqtt/config_flow.py
 * `async_step_user` → `async_step_broker`, whose schema requires the collapsed
 * `other_settings` section with `set_client_cert` and `set_ca_cert`). Without a
 * Supervisor Core offers no add-on menu and goes straight to the broker form.
 */
export async function addMqttIntegration(
  haUrl: string,
  adminToken: string,
  broker: MqttBroker,
): Promise<void> {
  const post = async (path: string, body: unknown): Promise<FlowStep> => {
    const response = await fetch(`${haUrl}/api/config/config_entries/${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const step = (await response.json()) as FlowStep;
    if (!response.ok)
      throw new Error(`MQTT config flow: ${response.status} ${JSON.stringify(step)}`);
    return step;
  };
  const form = await post('flow', { handler: 'mqtt', show_advanced_options: true });
  if (form.type !== 'form' || form.step_id !== 'broker' || !form.flow_id) {
    throw new Error(`MQTT config flow: expected the broker form, got ${JSON.stringify(form)}`);
  }
  const done = await post(`flow/${form.flow_id}`, {
    broker: broker.host,
    port: broker.port,
    username: broker.username,
    password: broker.password,
    protocol: '3.1.1',
    other_settings: { set_client_cert: false, set_ca_cert: 'off', transport: 'tcp' },
  });
  if (done.type !== 'create_entry' || done.result?.state !== 'loaded') {
    throw new Error(
      `MQTT config flow did not connect: ${JSON.stringify({ ...done, result: done.result?.state })}`,
    );
  }
}
