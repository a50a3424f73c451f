import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { AVAILABILITY_TOPIC } from './mqtt-discovery.js';
import type { MqttBroker } from './mqtt-service.js';

// The mqtt.js client as mqtt-entities.ts uses it: its options, a publish that
// always settles, and which refusals mean stale credentials.

/** The options for one add-on connection to the broker the Supervisor hands out. */
export function clientOptions(broker: MqttBroker, reconnectMs = 5_000): IClientOptions {
  return {
    clientId: `ha_token_manager_${randomBytes(4).toString('hex')}`,
    username: broker.username,
    password: broker.password,
    // Protocol 3.1 is MQIsdp version 3 (the Supervisor's services/modules/mqtt.py offers 3.1 and 3.1.1).
    ...(broker.protocol === '3.1'
      ? { protocolId: 'MQIsdp' as const, protocolVersion: 3 as const }
      : { protocolVersion: 4 as const }),
    clean: true,
    // Subscriptions are made again on each connect (mqtt-entities.ts), in order with the republishing.
    resubscribe: false,
    // A message for a broker that is away fails at once instead of piling up: all is sent again on connect.
    queueQoSZero: false,
    reconnectPeriod: reconnectMs,
    // The broker add-on may still be starting, or restarting with new users: keep trying.
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
    will: { topic: AVAILABILITY_TOPIC, payload: Buffer.from('offline'), qos: 1, retain: true },
  };
}

/** A publish that did not finish: its connection closed, or the bound passed. */
export class MqttPublishError extends Error {
  override name = 'MqttPublishError';
}

/**
 * One retained QoS 0 message, settled either way. mqtt.js (5.16
 * lib/client.ts _writePacket) calls back a QoS 0 write the socket did not
 * take at once only on the socket's `drain`; a socket destroyed first never
 * drains, and the callback never runs. So a publish fails when its
 * connection closes (`closed`), and after `ms` at the latest: the caller's
 * queue moves on and the next connect sends everything again.
 */
export function publishRetained(
  client: MqttClient,
  topic: string,
  payload: string,
  closed: AbortSignal,
  ms = 10_000,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      closed.removeEventListener('abort', onClose);
    };
    const fail = (why: string) => {
      done();
      reject(new MqttPublishError(`Publish to ${topic} ${why}`));
    };
    const onClose = () => fail('lost with the connection');
    const timer = setTimeout(() => fail('timed out'), ms);
    timer.unref?.();
    closed.addEventListener('abort', onClose, { once: true });
    client.publishAsync(topic, payload, { qos: 0, retain: true }).then(
      () => {
        done();
        resolve();
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

/** CONNACK 4 "bad user name or password" or 5 "not authorized" (MQTT 3.1.1; mqtt.js ErrorWithReasonCode). */
export function refusedCredentials(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 4 || code === 5;
}
