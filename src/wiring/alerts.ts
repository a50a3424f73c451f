import { HistoryRecorder } from '../alerts/history.js';
import { type StartedAlerts, startAlerts, viewOptions } from '../alerts/start.js';
import { systemClock } from '../clock.js';
import type { PageExtras } from '../http/page/extras.js';
import type { Logger } from '../log.js';
import type { Config } from '../options.js';
import type { StatusModel } from '../status/status-model.js';

// What tells Home Assistant about problems (docs/alerts.md) and the 24 h
// history the page draws, built from valid options.

/** The parts of the environment alerts read (main.ts reads them). */
export interface AlertsEnv {
  supervisorToken: string | undefined;
  supervisorUrl: string;
  alertsCheckMs: number | undefined;
  timezone: string | undefined;
  /** Where the history is kept across restarts (`history.json`). */
  dataDir: string;
}

export interface AlertsWork {
  history: HistoryRecorder;
  /** Undefined standalone: no Supervisor to reach Home Assistant through. */
  alerts: StartedAlerts | undefined;
}

export async function wireAlerts(
  env: AlertsEnv,
  config: Config,
  status: StatusModel,
  log: Logger,
  page: PageExtras,
): Promise<AlertsWork> {
  const history = new HistoryRecorder(systemClock, viewOptions(config, env.timezone), env.dataDir);
  const historyProblem = await history.load();
  if (historyProblem) log.warning(historyProblem);
  history.watch(status);
  page.history = () => history.tracks();
  page.alerts = env.supervisorToken
    ? `Alerts go to Home Assistant through the Supervisor${config.notifications ? '' : ' (notifications off)'}.`
    : 'Alerts in Home Assistant are off: no Supervisor (standalone).';
  if (!env.supervisorToken) {
    log.info('Alerts in Home Assistant are off: no Supervisor (standalone)');
    return { history, alerts: undefined };
  }
  const alerts = startAlerts({
    supervisorUrl: env.supervisorUrl,
    supervisorToken: env.supervisorToken,
    config,
    status,
    log: log.child('alerts'),
    clock: systemClock,
    timezone: env.timezone,
    checkMs: env.alertsCheckMs,
    describe: (entities) => {
      page.alerts = `${page.alerts ?? ''} ${entities}`.trim();
    },
  });
  return { history, alerts };
}
