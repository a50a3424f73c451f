import type { Logger } from '../log.js';
import type { EntitySink, EntityState } from './entities.js';
import type { MqttBroker, MqttLookup } from './mqtt-service.js';

// Which way the entities go (docs/alerts.md, "Entities"): MQTT discovery only
// when the Supervisor offers a broker AND Home Assistant has its MQTT
// integration set up (Core's `GET /api/config` lists `mqtt` in `components`,
// components/api/__init__.py APIConfigView → core_config.py as_dict); a broker
// nobody in Home Assistant reads would show no entities at all. No clear
// answer (the Supervisor or Core away, a timeout, a 5xx) is asked again with a
// backoff before settling on state-only; until then no entities are posted,
// since state-only ones would hold the ids the MQTT ones need.

export type EntityMode = { kind: 'mqtt'; broker: MqttBroker } | { kind: 'state-only'; why: string };

export interface ChooseOptions {
  lookUp: () => Promise<MqttLookup>;
  /** Core's `components`; throws when Core does not answer. */
  components: () => Promise<readonly string[] | undefined>;
  log: Logger;
  /** The waits between attempts (default 5 s doubling to 60 s, about 5 minutes in all). */
  backoffMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
  stopped: () => boolean;
}

const BACKOFF_MS = [5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000];

export async function chooseEntityMode(o: ChooseOptions): Promise<EntityMode> {
  const sleep = o.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms).unref?.()));
  const waits = o.backoffMs ?? BACKOFF_MS;
  for (let attempt = 0; ; attempt++) {
    const unclear = await attemptMode(o);
    if (unclear.kind !== 'unclear') return unclear;
    const wait = waits[attempt];
    if (wait === undefined || o.stopped())
      return { kind: 'state-only', why: `${unclear.why}, and still so after retrying` };
    if (attempt === 0) o.log.info(`Entities wait: ${unclear.why}; asking again`);
    await sleep(wait);
  }
}

async function attemptMode(
  o: ChooseOptions,
): Promise<EntityMode | { kind: 'unclear'; why: string }> {
  const mqtt = await o.lookUp();
  if (mqtt.kind === 'unknown')
    return { kind: 'unclear', why: `no clear answer about an MQTT broker (${mqtt.reason})` };
  if (mqtt.kind === 'none')
    return { kind: 'state-only', why: `no MQTT broker offered by the Supervisor: ${mqtt.reason}` };
  let components: readonly string[] | undefined;
  try {
    components = await o.components();
  } catch {
    return { kind: 'unclear', why: 'Home Assistant did not say whether MQTT is set up' };
  }
  if (!components?.includes('mqtt'))
    return {
      kind: 'state-only',
      why: 'the MQTT integration is not set up in Home Assistant (a broker is offered)',
    };
  return { kind: 'mqtt', broker: mqtt.broker };
}

/**
 * Core's `components` once it is running. While it starts its integrations
 * the list is not complete yet (`state` of core_config.py as_dict): throws,
 * so the choice is asked again rather than settled on state-only for the
 * process's life.
 */
export function runningComponents(config: {
  state?: string;
  components?: string[];
}): readonly string[] | undefined {
  if (config.state !== undefined && config.state !== 'RUNNING')
    throw new Error(`Home Assistant is ${config.state}`);
  return config.components;
}

/**
 * The alerts loop's entity sink, whichever way is chosen: none while the
 * choice is open (nothing posted, the notifications go on), then MQTT or
 * state-only, and from MQTT to state-only when discovery did not work.
 */
export class SwitchingSink implements EntitySink {
  #sink: EntitySink | undefined;

  get viaCoreApi(): boolean {
    return this.#sink?.viaCoreApi ?? false;
  }

  /** From now on; everything is sent at its next publish. */
  use(sink: EntitySink): void {
    this.#sink = sink;
    sink.forget();
  }

  get current(): EntitySink | undefined {
    return this.#sink;
  }

  publish(states: readonly EntityState[], complete: boolean): Promise<void> {
    return this.#sink?.publish(states, complete) ?? Promise.resolve();
  }

  forget(): void {
    this.#sink?.forget();
  }

  async lost(): Promise<boolean> {
    return (await this.#sink?.lost()) ?? false;
  }

  async stop(): Promise<void> {
    await this.#sink?.stop();
  }
}
