import { networkInterfaces } from 'node:os';
import { type ServerType, serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { systemClock } from './clock.js';
import { armedFailpoints, armFailpoints } from './failpoints.js';
import { flushPrivateFiles } from './files.js';
import { createApp } from './http/app.js';
import type { PageExtras } from './http/page/extras.js';
import { iamPolicy } from './http/page/iam-policy.js';
import { createLogger, registerEnvironmentSecrets } from './log.js';
import { type Config, loadOptions } from './options.js';
import { StatusModel } from './status/status-model.js';
import { type AlertsWork, wireAlerts } from './wiring/alerts.js';
import { type CredentialWork, startCredentialWork } from './wiring/credential-work.js';
import { STOP_DEADLINE_MS, stopParts } from './wiring/shutdown.js';

// The composition root: the only module that reads the environment, handles
// signals and listens. Start order: HTTP first (so the page can explain a bad
// configuration), then the alerts and the credential work (src/wiring/: the
// token manager, the connection, the jobs, the rotator, the consumers); stop
// the server first, then alerts and the credential work together, then flush
// (src/wiring/shutdown.ts). Alerts begin once the credential work has loaded
// (credentialWorkLoaded) and their stop is bounded (src/alerts/start.ts).

interface Env {
  optionsFile: string;
  dataDir: string;
  port: number;
  host: string;
  supervised: boolean;
  /** The add-on's SUPERVISOR_TOKEN: the way into the Core API for alerts (docs/alerts.md). */
  supervisorToken: string | undefined;
  /** The Supervisor's address; a parameter so tests can stand in for it on loopback. */
  supervisorUrl: string;
  /** How often alerts look for a restarted Home Assistant, in ms. */
  alertsCheckMs: number | undefined;
  /** How long the MQTT entities may take to show in Core before the fall-back to state-only, in ms. */
  mqttConfirmMs: number | undefined;
  ingressPeer: string;
  /** The Supervisor sets TZ to Home Assistant's time zone: schedules are read in it. */
  timezone: string | undefined;
  /** Standalone: further names the server is reached by, beside its address and localhost. */
  allowedHosts: string[];
}

function readEnv(env: NodeJS.ProcessEnv): Env {
  registerEnvironmentSecrets(env);
  const supervised = Boolean(env.SUPERVISOR_TOKEN);
  return {
    optionsFile: env.OPTIONS_FILE ?? '/data/options.json',
    dataDir: env.DATA_DIR ?? '/data',
    port: Number(env.PORT ?? 8099),
    // Standalone, the page is for this machine only; in the add-on container the
    // Supervisor's proxy connects over the hassio network.
    host: env.HOST ?? (supervised ? '0.0.0.0' : '127.0.0.1'),
    supervised,
    supervisorToken: env.SUPERVISOR_TOKEN || undefined,
    supervisorUrl: (env.SUPERVISOR_URL ?? 'http://supervisor').replace(/\/+$/, ''),
    alertsCheckMs: env.ALERTS_CHECK_MS ? Number(env.ALERTS_CHECK_MS) : undefined,
    mqttConfirmMs: env.MQTT_CONFIRM_MS ? Number(env.MQTT_CONFIRM_MS) : undefined,
    // A parameter so tests can stand in for the Supervisor on loopback.
    ingressPeer: env.INGRESS_PEER ?? '172.30.32.2',
    timezone: env.TZ || undefined,
    allowedHosts: (env.ALLOWED_HOSTS ?? '').split(','),
  };
}

/** The page's IAM policy for what the options make the add-on call (DOCS.md, "IAM policies"). */
function policyFor(config: Config): string | undefined {
  const region = config.ssm?.region ?? config.aws?.region;
  if (region === undefined) return undefined;
  return iamPolicy({
    region,
    parameter: config.tokenSource === 'ssm' ? config.ssm?.parameter : undefined,
    consumers: config.consumers.map((c) => c.parameter),
    kmsKeyId: config.rotation.kmsKeyId,
  });
}

function notRunning() {
  return Promise.resolve({ ok: false, message: 'Not running: fix the options first.' });
}

async function main(): Promise<void> {
  const env = readEnv(process.env);
  const status = new StatusModel(systemClock);
  const options = await loadOptions(env.optionsFile);
  const log = createLogger({ level: options.ok ? options.config.logLevel : options.logLevel });

  // A re-subscription HA rejects after a reconnect is an unhandled rejection in
  // home-assistant-js-websocket (issue #59): log it, don't die of it.
  process.on('unhandledRejection', (reason) => log.error('Unhandled rejection', reason));

  // Failpoints (docs/rotation.md): off unless HTM_FAILPOINTS names them. "exit"
  // is a SIGKILL of this process: a crash runs no handler and flushes nothing.
  for (const problem of armFailpoints(process.env.HTM_FAILPOINTS ?? '', () => {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable: SIGKILL did not end the process');
  }))
    log.error(problem);
  if (armedFailpoints().length > 0)
    log.warning(`Failpoints armed: ${armedFailpoints().join(', ')}`);

  let work: CredentialWork | undefined;
  let alerts: AlertsWork | undefined;
  // Filled in once the options are read.
  const page: PageExtras = {};
  const app = createApp({
    page,
    status,
    log: log.child('http'),
    clock: systemClock,
    health: () =>
      work === undefined || work.connection.running
        ? { ok: true }
        : { ok: false, detail: 'The connection loop has stopped.' },
    actions: {
      refresh: () => (work ? work.refresh.run('manual') : notRunning()),
      rotate: () => (work ? work.rotator.rotate('manual') : notRunning()),
      rotateConsumer: (name) => (work?.consumers ? work.consumers.rotateNow(name) : notRunning()),
      revokeConsumer: (name) => (work?.consumers ? work.consumers.revoke(name) : notRunning()),
    },
    guard: env.supervised
      ? { allowedPeer: env.ingressPeer, peerOf: (c) => getConnInfo(c).remote.address }
      : undefined,
    hosts: env.supervised
      ? undefined
      : {
          bind: env.host,
          port: env.port,
          extra: env.allowedHosts,
          interfaces: () =>
            Object.values(networkInterfaces()).flatMap((list) =>
              (list ?? []).map((i) => i.address),
            ),
        },
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: env.port, hostname: env.host }, () => resolve(s));
    s.once('error', (error) =>
      reject(new Error(`Cannot listen on ${env.host}:${env.port}`, { cause: error })),
    );
  });
  log.info(
    `Status server listening on http://${env.host}:${env.port}${env.supervised ? ' (ingress only)' : ''}`,
  );

  // Handlers before the credential work starts: a stop during start-up is still clean.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received; stopping`);
    const deadline = setTimeout(() => {
      log.warning(`Stop took longer than ${STOP_DEADLINE_MS} ms; exiting anyway`);
      process.exit(0);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    // The server first, so no request starts an action on parts that are stopping.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections (the page's live updates) would hold close() open.
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    // The files are flushed last: e.g. a rejected token recorded just before the signal.
    const failed = await stopParts({
      history: alerts?.history,
      alerts: alerts?.alerts,
      work,
      closed,
      flush: flushPrivateFiles,
    });
    for (const error of failed) log.warning('A part of the add-on did not stop cleanly', error);
    log.info('Stopped');
    // Exit 0 on SIGTERM: the Supervisor logs 143 as "did not handle SIGTERM".
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  if (options.ok) {
    for (const warning of options.warnings) log.warning(warning);
    log.info(
      `Token source: ${options.config.tokenSource}; Home Assistant at ${options.config.homeAssistantUrl}`,
    );
    alerts = await wireAlerts(env, options.config, options.config.notifications, status, log, page);
    page.iamPolicy = policyFor(options.config);
    work = await startCredentialWork(options.config, env.dataDir, status, log, env.timezone);
    alerts.credentialWorkLoaded();
  } else {
    for (const problem of options.problems) log.error(`Option problem: ${problem}`);
    status.setProblems(options.problems);
    const count = options.problems.length;
    status.setState(
      'misconfigured',
      `${count} option${count === 1 ? ' needs' : 's need'} fixing in the Options tab; no token is managed until then.`,
    );
    // Alerts do not use the managed token: Home Assistant hears that the options need fixing.
    alerts = await wireAlerts(env, undefined, options.notifications ?? true, status, log, page);
    alerts.credentialWorkLoaded();
  }
}

main().catch((error: unknown) => {
  const log = createLogger({ level: 'info' });
  log.fatal('Could not start', error);
  process.exit(1);
});
