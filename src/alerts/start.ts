import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Config } from '../options.js';
import { shortestInterval, upcomingRuns } from '../schedule/cron-check.js';
import type { StatusModel } from '../status/status-model.js';
import { Alerts } from './alerts.js';
import { CoreApi } from './core-api.js';
import { EXPIRY_WARNING_DAYS, type ViewOptions } from './credential-view.js';
import { ADDON_PROBLEM_ENTITY } from './entities.js';
import { chooseEntityMode, runningComponents, SwitchingSink } from './entity-mode.js';
import { DISCOVERY_PREFIX } from './mqtt-discovery.js';
import type { MqttEntities } from './mqtt-entities.js';
import { lookUpMqtt } from './mqtt-service.js';
import { CoreWatch, findProblemEntity } from './mqtt-watch.js';
import { PanelLink } from './panel-link.js';
import type { ProblemAges } from './problem-ages.js';
import { EntityPublisher, removeStateOnly } from './state-only.js';

// Builds the alerts (docs/alerts.md) from the options and the Supervisor's
// address: finds the add-on's page for the notifications' links, and whether
// the entities go by MQTT discovery or state-only through the Core API
// (entity-mode.ts), falling back to state-only when discovery did not work
// (mqtt-watch.ts).

/** The slug in config.yaml; installed from a repository the Supervisor prefixes it (`1a2b3c4d_…`). */
const CONFIG_SLUG = 'ha_token_manager';

export { panelPath } from './panel-link.js';

export interface AlertsSetup {
  supervisorUrl: string;
  supervisorToken: string;
  /** Undefined while the options need fixing: alerts run anyway and say so. */
  config: Config | undefined;
  /** The `notifications` option (read even from options that need fixing). */
  notifications: boolean;
  /** Resolves once the credential work has loaded the journal and the consumers. */
  loaded: Promise<void>;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  timezone: string | undefined;
  checkMs?: number;
  /** Says on the page how the entities go, once it is known. */
  describe?: (entities: string) => void;
  /** How long the MQTT entities may take to show in Core before the fall-back (default a minute). */
  mqttConfirmMs?: number;
  /** The problems' ages as kept across restarts (problem-ages.ts). */
  ages?: ProblemAges;
}

/** The thresholds of the credential view for these options (the longest while they need fixing). */
export function viewOptions(
  config: Config | undefined,
  timezone: string | undefined,
): Omit<ViewOptions, 'now'> {
  const interval =
    (config && shortestInterval(upcomingRuns(config.refreshSchedule, 4, timezone))) ?? 3_600_000;
  return {
    // "A few refresh runs", at least a minute, at most an hour.
    unreadableAfterMs: Math.min(3_600_000, Math.max(60_000, 3 * interval)),
    expiryWarningMs: EXPIRY_WARNING_DAYS * 86_400_000,
    unsettledAfterMs: 15 * 60_000,
  };
}

/** What main.ts holds of the running alerts. */
export interface StartedAlerts {
  /** Bounded (STOP_MS): the add-on's stop goes on to flush its files whatever Core does. */
  stop(): Promise<void>;
}

/** The add-on has 2 s to stop (main.ts); alerts get at most this much of it. */
export const STOP_MS = 1200;

export function startAlerts(s: AlertsSetup): StartedAlerts {
  const api = new CoreApi({ supervisorUrl: s.supervisorUrl, token: s.supervisorToken });
  let slug = CONFIG_SLUG;
  let version: string | undefined;
  // The real slug and the add-on's version, before the first notification if the Supervisor answers quickly.
  const selfKnown = api
    .supervisor('/addons/self/info')
    .then((info) => {
      if (typeof info.slug === 'string' && /^[a-z0-9_]+$/.test(info.slug)) slug = info.slug;
      if (typeof info.version === 'string') version = info.version;
    })
    .catch((error) =>
      s.log.warning(`Could not ask the Supervisor for the add-on's slug; links use ${slug}`, error),
    );
  // Core down now: asked again at each link until known (panel-link.ts).
  const link = new PanelLink(async () => (await api.config()).version);
  const versionKnown = link.ask();
  const sink = new SwitchingSink();
  let alerts: Alerts | undefined;
  let stopped = false;
  const stateOnly = () => new EntityPublisher(api, { log: s.log.child('entities') });
  void Promise.all([selfKnown, versionKnown]).then(() => {
    if (stopped) return;
    alerts = new Alerts({
      api,
      status: s.status,
      log: s.log,
      clock: s.clock,
      notifications: s.notifications,
      loaded: s.loaded,
      view: viewOptions(s.config, s.timezone),
      entities: sink,
      // Home Assistant's frontend route for an add-on's ingress panel.
      pageUrl: () => link.url(slug),
      checkMs: s.checkMs,
      ages: s.ages,
    });
    alerts.start();
  });
  void chooseEntityMode({
    lookUp: () => lookUpMqtt({ supervisorUrl: s.supervisorUrl, token: s.supervisorToken }),
    components: async () => runningComponents(await api.config()),
    log: s.log,
    stopped: () => stopped,
  }).then(async (mode) => {
    await Promise.all([selfKnown, versionKnown]);
    if (stopped) return;
    if (mode.kind === 'state-only') {
      s.log.info(`Entities are posted as state-only entities: ${mode.why}`);
      s.describe?.(`Entities are state-only (${mode.why}).`);
      sink.use(stateOnly());
      void alerts?.sync();
      return;
    }
    s.log.info(
      `MQTT broker offered by the Supervisor (${mode.broker.host}:${mode.broker.port}) and the MQTT integration is set up; entities are published by MQTT discovery`,
    );
    s.describe?.('Entities by MQTT discovery.');
    // Loaded only now: the MQTT client is not in memory for add-ons without a broker.
    const { MqttEntities } = await import('./mqtt-entities.js');
    if (stopped) return;
    const mqtt: MqttEntities = new MqttEntities({
      broker: mode.broker,
      log: s.log.child('mqtt'),
      info: { version },
      onHomeAssistantStarted: (why) => alerts?.homeAssistantRestarted(why),
      beforeDiscovery: (states) => removeStateOnly(api, states),
      askBroker: async () => {
        const again = await lookUpMqtt({
          supervisorUrl: s.supervisorUrl,
          token: s.supervisorToken,
        });
        return again.kind === 'broker' ? again.broker : undefined;
      },
      watch: new CoreWatch({
        probe: (entityId) => api.getState(entityId),
        find: async () => findProblemEntity(await api.states()),
        confirmMs: s.mqttConfirmMs,
        onNotDiscovered: () => {
          if (stopped || sink.current !== mqtt) return;
          const seconds = Math.round((s.mqttConfirmMs ?? 60_000) / 1000);
          const why = `${ADDON_PROBLEM_ENTITY} did not show in Home Assistant within ${seconds} s of its MQTT discovery config`;
          s.log.warning(
            `${why}: check that Home Assistant's MQTT integration is set up on the broker the Supervisor offers (${mode.broker.host}:${mode.broker.port}), with discovery on and the prefix \`${DISCOVERY_PREFIX}\`. Falling back to state-only entities`,
          );
          s.describe?.(`Entities are state-only (${why}).`);
          sink.use(stateOnly());
          void alerts?.sync();
          // Stopped like any stop (offline, disconnect), removing nothing: the fall-back may be
          // wrong (Home Assistant reads this broker, but the user renamed or disabled our entity),
          // and an empty config would make it delete the entities and devices with the user's
          // names, areas and ids. What stays goes when the device is deleted (docs/alerts.md).
          void mqtt.stop();
        },
      }),
    });
    sink.use(mqtt);
    void alerts?.sync();
  });
  if (!s.notifications) s.log.info('Notifications in Home Assistant are off (option)');
  return {
    stop: async () => {
      // Still asking the Supervisor: nothing is started once it answers.
      stopped = true;
      const bound = new Promise<void>((resolve) => setTimeout(resolve, STOP_MS).unref?.());
      await Promise.race([alerts?.stop(), bound]);
    },
  };
}
