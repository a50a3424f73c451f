import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { StatusModel, StatusSnapshot } from '../status/status-model.js';
import { BusEventDiff } from './bus-events.js';
import type { CoreApi } from './core-api.js';
import { credentialView, type ViewOptions } from './credential-view.js';
import { EntityPublisher, type EntitySink, entityStates } from './entities.js';
import { desiredNotifications, Notifier } from './notifications.js';
import { ProblemAges } from './problem-ages.js';

// Tells Home Assistant what the status model knows (docs/alerts.md): after
// each change (debounced) and on every check tick it reconciles the
// notifications and entities with the credential view; events go out as they
// happen. One sync runs at a time. A failed call is logged once per outage and
// retried on the next tick; when Core answers again, or Home Assistant
// restarted and forgot its notifications (the entity sink finds out: a
// state-only entity gone, or MQTT's birth message), everything is posted again.

export interface AlertsOptions {
  api: CoreApi;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  /** The `notifications` option: off = entities and events only. */
  notifications: boolean;
  view: Omit<ViewOptions, 'now'>;
  /** Where the entities go: MQTT discovery (mqtt-entities.ts), else state-only through `api`. */
  entities?: EntitySink;
  /** The add-on's page in Home Assistant's frontend, for the notifications' link. */
  pageUrl: () => string;
  debounceMs?: number;
  /** How often the time-based problems are re-evaluated and a Core restart looked for. */
  checkMs?: number;
}

export class Alerts {
  readonly #o: AlertsOptions;
  readonly #notifier: Notifier;
  readonly #entities: EntitySink;
  readonly #ages = new ProblemAges();
  #diff: BusEventDiff | undefined;
  #unsubscribe: (() => void) | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #failing = false;
  #events: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: AlertsOptions) {
    this.#o = options;
    this.#notifier = new Notifier(options.api);
    this.#entities = options.entities ?? new EntityPublisher(options.api);
  }

  start(): void {
    const { status } = this.#o;
    this.#diff = new BusEventDiff(status.snapshot());
    this.#unsubscribe = status.subscribe((snapshot) => this.#changed(snapshot));
    this.#tick = setInterval(() => void this.#check(), this.#o.checkMs ?? 10_000);
    this.#tick.unref?.();
    this.sync();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearTimeout(this.#debounce);
    clearInterval(this.#tick);
    await Promise.allSettled([this.#running, this.#events]);
    await this.#entities.stop();
  }

  /**
   * Home Assistant started again (MQTT's birth message): it lost its
   * notifications. The MQTT entities have been sent again by their sink.
   */
  homeAssistantRestarted(why: string): void {
    if (this.#stopped) return;
    this.#o.log.info(`${why}; posting the notifications again`);
    this.#notifier.forget();
    void this.sync();
  }

  /** Starts a sync, or asks the one in progress to run once more. */
  sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#syncLoop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #changed(snapshot: StatusSnapshot): void {
    for (const event of this.#diff?.next(snapshot) ?? []) {
      // In order, one after another; an event that cannot be sent is lost (it was a moment).
      this.#events = this.#events.then(() =>
        this.#o.api.fireEvent(event.type, event.data).then(
          () => undefined,
          (error) => this.#o.log.warning(`Could not send event ${event.type}`, error),
        ),
      );
    }
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.sync(), this.#o.debounceMs ?? 250);
  }

  async #check(): Promise<void> {
    if (this.#stopped) return;
    if (!this.#failing) {
      try {
        if (await this.#entities.lost()) {
          this.#o.log.info(
            'Home Assistant lost the add-on entities (restarted?); posting them again',
          );
          this.#forget();
        }
      } catch {
        // The sync below finds out and reports it.
      }
    }
    await this.sync();
  }

  #forget(): void {
    this.#notifier.forget();
    this.#entities.forget();
  }

  async #syncLoop(): Promise<void> {
    do {
      this.#again = false;
      if (this.#stopped) return;
      await this.#syncOnce();
    } while (this.#again);
  }

  async #syncOnce(): Promise<void> {
    const { status, clock, log } = this.#o;
    const snapshot = status.snapshot();
    const now = clock.now();
    const credentials = this.#ages.filter(credentialView(snapshot, { ...this.#o.view, now }), now);
    try {
      // Entities first: by MQTT they do not depend on the Core API answering.
      await this.#entities.publish(entityStates(snapshot.state, credentials));
      if (this.#o.notifications) {
        await this.#notifier.reconcile(
          desiredNotifications(credentials, this.#o.pageUrl()),
          credentials,
        );
      }
      if (this.#failing) log.info('Home Assistant takes alerts again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) log.warning('Could not update Home Assistant; retrying', error);
      // What Core shows is unknown now (it may have restarted): post everything again.
      this.#failing = true;
      this.#forget();
    }
  }
}
