import { HistoryRecorder } from '../alerts/history.js';
import { ProblemAges } from '../alerts/problem-ages.js';
import { type StartedAlerts, startAlerts, viewOptions } from '../alerts/start.js';
import { systemClock } from '../clock.js';
import type { PageExtras } from '../http/page/extras.js';
import type { Logger } from '../log.js';
import type { Config } from '../options.js';
import type { StatusModel } from '../status/status-model.js';

// What tells Home Assistant about problems (docs/alerts.md) and the 24 h
// history the page draws. Built from the options even when they need fixing
// (config undefined): alerts do not use the managed token, and Home Assistant
// should hear that the add-on is misconfigured.

/** The parts of the environment alerts read (main.ts reads them). */
export interface AlertsEnv {
  supervisorToken: string | undefined;
  supervisorUrl: string;
  alertsCheckMs: number | undefined;
  /** How long the MQTT entities may take to show in Core (start.ts); unset: a minute. */
  mqttConfirmMs?: number | undefined;
  timezone: string | undefined;
  /** Where the history and the problems' ages are kept across restarts. */
  dataDir: string;
}

export interface AlertsWork {
  history: HistoryRecorder;
  /** Undefined standalone: no Supervisor to reach Home Assistant through. */
  alerts: StartedAlerts | undefined;
  /**
   * The credential work has loaded the rotation journal and the consumers
   * (or there is none): alerts begin from what is true then, so a restart of
   * the add-on neither re-announces old rotations nor flaps a problem.
   */
  credentialWorkLoaded(): void;
}

export async function wireAlerts(
  env: AlertsEnv,
  config: Config | undefined,
  notifications: boolean,
  status: StatusModel,
  log: Logger,
  page: PageExtras,
): Promise<AlertsWork> {
  let credentialWorkLoaded = () => {};
  const loaded = new Promise<void>((resolve) => {
    credentialWorkLoaded = resolve;
  });
  const history = new HistoryRecorder(systemClock, viewOptions(config, env.timezone), env.dataDir);
  const historyProblem = await history.load();
  if (historyProblem) log.warning(historyProblem);
  history.watch(status);
  page.history = () => history.tracks();
  page.alerts = env.supervisorToken
    ? `Alerts go to Home Assistant through the Supervisor${notifications ? '' : ' (notifications off)'}.`
    : 'Alerts in Home Assistant are off: no Supervisor (standalone).';
  if (!env.supervisorToken) {
    log.info('Alerts in Home Assistant are off: no Supervisor (standalone)');
    return { history, alerts: undefined, credentialWorkLoaded };
  }
  const ages = new ProblemAges(env.dataDir);
  const agesProblem = await ages.load();
  if (agesProblem) log.warning(agesProblem);
  /** The page's sentence on how the entities go, as last said. */
  let shown: string | undefined;
  const alerts = startAlerts({
    supervisorUrl: env.supervisorUrl,
    supervisorToken: env.supervisorToken,
    config,
    notifications,
    loaded,
    status,
    log: log.child('alerts'),
    clock: systemClock,
    timezone: env.timezone,
    checkMs: env.alertsCheckMs,
    mqttConfirmMs: env.mqttConfirmMs,
    ages,
    describe: (entities) => {
      // Replaces the sentence said before (MQTT, then the fall-back to state-only).
      const rest = shown ? (page.alerts ?? '').replace(shown, '') : (page.alerts ?? '');
      page.alerts = `${rest.trim()} ${entities}`.trim();
      shown = entities;
    },
  });
  return { history, alerts, credentialWorkLoaded };
}
