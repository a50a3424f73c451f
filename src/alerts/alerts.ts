import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { StatusModel, StatusSnapshot } from '../status/status-model.js';
import { BusEventDiff } from './bus-events.js';
import type { CoreApi } from './core-api.js';
import { credentialView, type ViewOptions } from './credential-view.js';
import { type EntitySink, entityStates } from './entities.js';
import { desiredNotifications, misconfiguredNotification, Notifier } from './notifications.js';
import { ProblemAges } from './problem-ages.js';
import { EntityPublisher } from './state-only.js';

// Tells Home Assistant what the status model knows (docs/alerts.md): after
// each change (debounced) and on every check tick it reconciles the
// notifications and entities with the credential view; events go out as they
// happen. One sync runs at a time. A failed call is logged once per outage and
// retried on the next tick; when Core answers again, or Home Assistant
// restarted and forgot its notifications (the entity sink finds out: a
// state-only entity gone, or MQTT's birth message), everything is posted again.
// Nothing is posted, dismissed or reported before the credential work has
// loaded the rotation journal and the consumers and the add-on's token was
// first read (or `settleMs` passed): what Home Assistant already shows from
// before a restart of the add-on stays until the add-on knows better, and
// what was true at start is not reported as news.

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
  /** Resolves once the credential work has loaded its journal and consumers; unset: at once. */
  loaded?: Promise<void>;
  /** After `loaded`, how long to wait at most for the first read of the add-on's token. */
  settleMs?: number;
  /** Since when each problem has been present; loaded from DATA_DIR by the caller (unset: in memory). */
  ages?: ProblemAges;
}

/**
 * The credential work has judged what it loaded: the view is no longer a
 * guess. The add-on's token is shown (masked) only once Home Assistant
 * accepted it (tokens/validation.ts); a rejected or unreadable one ends in
 * `unauthorized` or `disconnected` (ha/connection-report.ts). While the add-on
 * can reach Home Assistant, the consumers are judged by the manager's first
 * refresh (consumers/manager.ts; `checkedAt`): until then a consumer shows
 * "Not checked yet", and its problem sensor would read `off` for a moment.
 */
export function firstReport(s: StatusSnapshot): boolean {
  const tokenJudged =
    s.token?.masked !== undefined || (s.state !== 'starting' && s.state !== 'connecting');
  if (!tokenJudged) return false;
  const consumersCanBeChecked = s.state !== 'unauthorized' && s.state !== 'disconnected';
  return (
    !consumersCanBeChecked ||
    (s.consumers ?? []).every((c) => !c.configured || c.checkedAt !== undefined)
  );
}

export class Alerts {
  readonly #o: AlertsOptions;
  readonly #notifier: Notifier;
  readonly #entities: EntitySink;
  readonly #ages: ProblemAges;
  #diff: BusEventDiff | undefined;
  #unsubscribe: (() => void) | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #failing = false;
  #events: Promise<void> = Promise.resolve();
  #stopped = false;
  #loaded = false;
  #settle: ReturnType<typeof setTimeout> | undefined;

  constructor(options: AlertsOptions) {
    this.#o = options;
    this.#ages = options.ages ?? new ProblemAges();
    this.#notifier = new Notifier(options.api);
    this.#entities =
      options.entities ?? new EntityPublisher(options.api, { log: options.log.child('entities') });
  }

  start(): void {
    const { status } = this.#o;
    this.#unsubscribe = status.subscribe((snapshot) => this.#changed(snapshot));
    this.#tick = setInterval(() => void this.#check(), this.#o.checkMs ?? 10_000);
    this.#tick.unref?.();
    void (this.#o.loaded ?? Promise.resolve()).then(() => {
      this.#loaded = true;
      if (firstReport(status.snapshot())) this.#ready();
      else this.#settle = setTimeout(() => this.#ready(), this.#o.settleMs ?? 30_000);
    });
  }

  /** In-flight Core requests are aborted, then the entities are marked unavailable (bounded). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearTimeout(this.#debounce);
    clearTimeout(this.#settle);
    clearInterval(this.#tick);
    this.#o.api.abort();
    await Promise.allSettled([this.#running, this.#events]);
    await this.#entities.stop();
    this.#o.api.abort();
  }

  /** Starts watching for news from what is true now, and the first sync. */
  #ready(): void {
    if (this.#diff || this.#stopped) return;
    clearTimeout(this.#settle);
    this.#diff = new BusEventDiff(this.#o.status.snapshot());
    // Debounced like any change: a verdict often comes in two steps (the error, then the state).
    this.#debounce = setTimeout(() => void this.sync(), this.#o.debounceMs ?? 250);
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

  /** Starts a sync, or asks the one in progress to run once more. Nothing before the start-up is known. */
  sync(): Promise<void> {
    if (!this.#diff) return Promise.resolve();
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
    if (!this.#diff) {
      if (this.#loaded && firstReport(snapshot)) this.#ready();
      return;
    }
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
    if (this.#stopped || !this.#diff) return;
    if (!this.#failing) {
      try {
        if (await this.#entities.lost()) {
          this.#o.log.info(
            'Home Assistant was away or lost the add-on entities (restarted?); posting notifications and entities again',
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
    const states = entityStates(snapshot.state, credentials);
    // State-only entities go first, through the same Core API. By MQTT side by
    // side: those entities do not depend on the Core API answering, and the
    // notifications must not wait for a slow broker (mqtt-entities.ts).
    const entities = this.#entities.publish(states, snapshot.state !== 'misconfigured');
    const notified = (async () => {
      if (this.#entities.viaCoreApi) await entities;
      if (this.#o.notifications) {
        const desired = desiredNotifications(credentials, this.#o.pageUrl());
        if (snapshot.state === 'misconfigured')
          desired.unshift(misconfiguredNotification(snapshot.reason, this.#o.pageUrl()));
        await this.#notifier.reconcile(desired, credentials);
      } else {
        // Ones from while the option was on would stay forever.
        await this.#notifier.dismissAll(credentials);
      }
    })();
    try {
      const [a, b] = await Promise.allSettled([entities, notified]);
      if (a.status === 'rejected') throw a.reason;
      if (b.status === 'rejected') throw b.reason;
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
