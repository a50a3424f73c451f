import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { EntitySink, EntityState } from './entities.js';
import { clientOptions, publishRetained, refusedCredentials } from './mqtt-client.js';
import {
  AVAILABILITY_TOPIC,
  BIRTH_TOPIC,
  CONFIG_FILTER,
  type DiscoveryInfo,
  discoveryMessages,
} from './mqtt-discovery.js';
import { brokerUrl, type MqttBroker } from './mqtt-service.js';
import type { CoreWatch } from './mqtt-watch.js';

// The entities by MQTT discovery (docs/alerts.md, "Entities"), over one
// connection to the broker the Supervisor hands out. mqtt.js reconnects by
// itself; after every (re)connect the add-on says `online` (its last will says
// `offline`, so Home Assistant shows the entities unavailable when the add-on
// is gone) and publishes every config and state again: a broker without
// persistence may have lost them. In between, only what changed is sent.
// Home Assistant's birth message (`homeassistant/status` `online`) means it
// started again: configs and states go out again, and the alerts loop is told,
// since Home Assistant lost its persistent notifications too. A birth message
// missed (sent while the broker connection was down, or turned off) is made up
// for by looking at Core (mqtt-watch.ts); a reconnect to the broker alone
// re-sends configs and states only: Core kept its notifications, and one the
// user dismissed would come back. Publishing never waits for the broker: while
// it is away the newest entities wait here, and the notifications go on
// through the Core API.

export interface MqttEntitiesOptions {
  broker: MqttBroker;
  log: Logger;
  info: DiscoveryInfo;
  /**
   * Home Assistant started again (its birth message), or may have while the
   * broker was away (the birth message was missed): its notifications are gone.
   */
  onHomeAssistantStarted: (why: string) => void;
  /** Before an entity's first config from this process: clears a state-only entity of the same id (entities.ts removeStateOnly). */
  beforeDiscovery?: (states: readonly EntityState[]) => Promise<void>;
  /** mqtt.js's connect; tests may wrap it. */
  connect?: (url: string, options: IClientOptions) => MqttClient;
  reconnectMs?: number;
  /**
   * Asks the Supervisor for the broker again (mqtt-service.ts lookUpMqtt):
   * after the broker refused our user name or password (the Mosquitto add-on
   * reinstalled gives add-ons new credentials), the next attempts use what it
   * says.
   */
  askBroker?: () => Promise<MqttBroker | undefined>;
  /** Looks at Core: did discovery work, did Core restart (lost()). */
  watch?: CoreWatch;
  /** How long one publish may take before it counts as failed (default 10 s). */
  publishMs?: number;
}

export class MqttEntities implements EntitySink {
  readonly viaCoreApi = false;
  readonly #o: MqttEntitiesOptions;
  readonly #client: MqttClient;
  /** Topic → the retained payload last sent on this connection. */
  readonly #sent = new Map<string, string>();
  /** Our retained discovery configs the broker holds (possibly from before this process). */
  readonly #retained = new Set<string>();
  #wanted: Map<string, string> | undefined;
  #states: readonly EntityState[] = [];
  /** Whether #states are every credential there is (entities.ts EntitySink.publish). */
  #complete = false;
  /** Entity ids whose config this process has sent (or is about to). */
  readonly #introduced = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  /** Fails every publish in progress when the connection closes (mqtt-client.ts publishRetained). */
  #closed = new AbortController();
  #outage = false;
  /** When the Supervisor was last asked for new credentials (at most once a minute). */
  #askedAt = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(o: MqttEntitiesOptions) {
    this.#o = o;
    const { broker } = o;
    this.#client = (o.connect ?? mqtt.connect)(
      brokerUrl(broker),
      clientOptions(broker, o.reconnectMs),
    );
    this.#client.on('connect', () => void this.#connected());
    this.#client.on('error', (error) => {
      if (refusedCredentials(error)) void this.#askBroker();
      this.#lost(error);
    });
    this.#client.on('close', () => {
      this.#closed.abort();
      this.#closed = new AbortController();
      this.#lost(undefined);
    });
    this.#client.on('message', (topic, payload) => this.#message(topic, payload.toString()));
  }

  publish(states: readonly EntityState[], complete = true): Promise<void> {
    // The time for Home Assistant to show them starts with the first ask, not
    // the first send: a broker never reached ends in the fall-back too.
    this.#o.watch?.sent();
    this.#wanted = discoveryMessages(states, this.#o.info);
    this.#states = states;
    this.#complete = complete;
    return this.#flush();
  }

  forget(): void {
    this.#sent.clear();
  }

  /** Mostly Home Assistant's birth message reports a restart; this covers a missed one (mqtt-watch.ts). */
  async lost(): Promise<boolean> {
    return (await this.#o.watch?.lost()) ?? false;
  }

  /** Says `offline` (as the last will would) and disconnects. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#queue;
    if (this.#client.connected)
      await this.#publish(AVAILABILITY_TOPIC, 'offline').catch(() => undefined);
    // Forced when the socket does not take the DISCONNECT: the stop is bounded (start.ts STOP_MS).
    await this.#client.endAsync(!this.#client.connected);
  }

  /** Resolves when what was asked for so far has been sent (or could not be). */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #connected(): Promise<void> {
    if (this.#stopped) return;
    const { broker, log } = this.#o;
    const after = this.#outage;
    if (after) log.info(`MQTT broker at ${broker.host}:${broker.port} is back`);
    else log.info(`Connected to the MQTT broker at ${broker.host}:${broker.port}`);
    this.#outage = false;
    this.forget();
    try {
      // QoS 0 here and below: a message lost with the connection is sent again on the next connect.
      await this.#publish(AVAILABILITY_TOPIC, 'online');
      await this.#client.subscribeAsync([BIRTH_TOPIC, CONFIG_FILTER], { qos: 0 });
    } catch (error) {
      this.#lost(error);
      return;
    }
    await this.#flush();
  }

  async #askBroker(): Promise<void> {
    const now = Date.now();
    if (!this.#o.askBroker || now - this.#askedAt < 60_000) return;
    this.#askedAt = now;
    const broker = await this.#o.askBroker().catch(() => undefined);
    if (!broker || this.#stopped) return;
    const options = this.#client.options;
    if (options.username === broker.username && options.password === broker.password) return;
    // mqtt.js builds each CONNECT from `options` (lib/client.ts connect): the next attempt uses these.
    options.username = broker.username;
    options.password = broker.password;
    this.#o.log.info('The broker refused the credentials; using the ones the Supervisor gives now');
  }

  #lost(error: unknown): void {
    if (this.#stopped) return;
    const { broker, log } = this.#o;
    if (this.#client.connected) {
      // Still connected (e.g. a message the broker refused): not an outage.
      log.warning('Could not publish to the MQTT broker; retrying with the next change', error);
      this.forget();
      return;
    }
    if (this.#outage) return;
    this.#outage = true;
    log.warning(
      `MQTT broker at ${broker.host}:${broker.port} not connected; entities wait until it is back`,
      error,
    );
  }

  #message(topic: string, payload: string): void {
    if (topic === BIRTH_TOPIC) {
      if (payload !== 'online') return;
      this.forget();
      void this.#flush();
      // Its persistent notifications are gone: the alerts loop posts them again.
      this.#o.onHomeAssistantStarted('Home Assistant started again');
      return;
    }
    // One of our retained configs (maybe from before a restart of the add-on):
    // removed below if no credential needs it any more.
    if (payload === '') this.#retained.delete(topic);
    else this.#retained.add(topic);
    if (this.#wanted && this.#complete && !this.#wanted.has(topic)) void this.#flush();
  }

  /** One send at a time, in order; errors are logged by the outage handling, not thrown. */
  #flush(): Promise<void> {
    this.#queue = this.#queue.then(() => this.#send()).catch((error) => this.#lost(error));
    return this.#queue;
  }

  async #send(): Promise<void> {
    const wanted = this.#wanted;
    if (!wanted || !this.#client.connected || this.#stopped) return;
    const fresh = this.#states.filter((s) => !this.#introduced.has(s.entityId));
    if (fresh.length > 0 && this.#o.beforeDiscovery) {
      await this.#o
        .beforeDiscovery(fresh)
        .catch((error) =>
          this.#o.log.warning('Could not look for state-only entities left from before', error),
        );
    }
    for (const s of fresh) this.#introduced.add(s.entityId);
    for (const [topic, payload] of wanted) {
      if (this.#sent.get(topic) === payload) continue;
      await this.#publish(topic, payload);
      this.#sent.set(topic, payload);
    }
    this.#o.watch?.sent();
    // An empty retained message removes the retained one, and with a config
    // the entity (and a device left without entities). Only when the states
    // are complete: else another credential's entities may be meant.
    if (!this.#complete) return;
    const gone = new Set([...this.#sent.keys(), ...this.#retained]);
    for (const topic of gone) {
      if (wanted.has(topic)) continue;
      await this.#publish(topic, '');
      this.#sent.delete(topic);
      this.#retained.delete(topic);
    }
  }

  #publish(topic: string, payload: string): Promise<void> {
    return publishRetained(this.#client, topic, payload, this.#closed.signal, this.#o.publishMs);
  }
}
