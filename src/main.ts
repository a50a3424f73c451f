import { networkInterfaces } from 'node:os';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { type ServerType, serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { HistoryRecorder } from './alerts/history.js';
import { type StartedAlerts, startAlerts, viewOptions } from './alerts/start.js';
import { systemClock } from './clock.js';
import type { ConsumerManager, ConsumerManagerOptions } from './consumers/manager.js';
import { consumersWanted } from './consumers/wanted.js';
import { OptionsSource } from './credentials/options-source.js';
import type { CredentialSource } from './credentials/source.js';
import type { SsmSource } from './credentials/ssm-source.js';
import { armedFailpoints, armFailpoints } from './failpoints.js';
import { flushPrivateFiles } from './files.js';
import { HaConnection } from './ha/connection.js';
import { createTokenCheck } from './ha/rest.js';
import { createApp } from './http/app.js';
import type { PageExtras } from './http/page/extras.js';
import { iamPolicy } from './http/page/iam-policy.js';
import { createLogger, type Logger } from './log.js';
import { type Config, loadOptions } from './options.js';
import { Rotator } from './rotation/rotator.js';
import { Job } from './schedule/job.js';
import { StatusModel } from './status/status-model.js';
import { KnownBadTokens } from './tokens/known-bad.js';
import { TokenManager } from './tokens/token-manager.js';

// The composition root: the only module that reads the environment, handles
// signals, listens, and knows every other module. Start order: HTTP first (so
// the page can explain a bad configuration), then the token manager and the
// connection; stop in reverse.

const STOP_DEADLINE_MS = 2000;

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
  ingressPeer: string;
  /** The Supervisor sets TZ to Home Assistant's time zone: schedules are read in it. */
  timezone: string | undefined;
  /** Standalone: further names the server is reached by, beside its address and localhost. */
  allowedHosts: string[];
}

function readEnv(env: NodeJS.ProcessEnv): Env {
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
    // A parameter so tests can stand in for the Supervisor on loopback.
    ingressPeer: env.INGRESS_PEER ?? '172.30.32.2',
    timezone: env.TZ || undefined,
    allowedHosts: (env.ALLOWED_HOSTS ?? '').split(','),
  };
}

interface Running {
  stop(): Promise<void>;
}

/** One SSM client for the source and the consumers, or none when nothing uses SSM. */
async function createSsm(config: Config): Promise<SSMClient | undefined> {
  if (!config.aws) return undefined;
  // Loaded only for SSM: the AWS SDK roughly doubles the idle footprint.
  const { createSsmClient } = await import('./credentials/ssm-client.js');
  // With connect and request timeouts (ssm-client.ts): no SSM call waits unbounded.
  return createSsmClient(config.aws);
}

async function createSource(
  config: Config,
  client: SSMClient | undefined,
  log: Logger,
): Promise<CredentialSource> {
  if (config.tokenSource === 'ssm' && config.ssm && client) {
    const { SsmSource } = await import('./credentials/ssm-source.js');
    return new SsmSource({
      client,
      parameter: config.ssm.parameter,
      region: config.ssm.region,
      log: log.child('ssm'),
    });
  }
  return new OptionsSource(config.accessToken?.reveal());
}

interface CredentialWork extends Running {
  connection: HaConnection;
  refresh: Job;
  rotator: Rotator;
  consumers: ConsumerManager | undefined;
}

async function startCredentialWork(
  config: Config,
  dataDir: string,
  status: StatusModel,
  log: Logger,
  timezone: string | undefined,
): Promise<CredentialWork> {
  const ssm = await createSsm(config);
  const source = await createSource(config, ssm, log);
  const check = createTokenCheck(config.homeAssistantUrl);
  const tokens = new TokenManager({
    source,
    // SSM reads cost money and quota (40 TPS per account): at most one a second
    // under rejection storms. The options source is memory.
    minReadIntervalMs: source.kind === 'ssm' ? 1000 : 0,
    check,
    status,
    log: log.child('token'),
    clock: systemClock,
    // The refresh job re-reads on its schedule; the TTL bounds staleness between runs.
    ttlMs: 5 * 60_000,
    fallback: config.tokenSource === 'ssm' ? config.accessToken : undefined,
    knownBad: await KnownBadTokens.open(dataDir, config.homeAssistantUrl, (problem) => {
      log.warning(problem);
      status.addNotice(problem);
    }),
  });
  const connection = new HaConnection({
    url: config.homeAssistantUrl,
    tokens,
    status,
    log: log.child('connection'),
    clock: systemClock,
  });
  let consumers: ConsumerManager | undefined;
  const refresh = new Job({
    name: 'refresh',
    expression: config.refreshSchedule,
    // The consumers' parameters are re-read on the same schedule; the outcome is the add-on's token's.
    run: async () => (await Promise.all([tokens.refresh(), consumers?.refresh()]))[0],
    status,
    log: log.child('schedule'),
    clock: systemClock,
    timezone,
  });
  const rotator = new Rotator({
    config: config.rotation,
    connection,
    tokens,
    check,
    publisher: isPublisher(source) ? source : undefined,
    dataDir,
    status,
    log: log.child('rotation'),
    clock: systemClock,
    consumers: (id, target) => consumers?.credential(id, target),
    consumerHolders: () => consumers?.holders() ?? [],
  });
  const rotation =
    config.rotation.schedule && isPublisher(source)
      ? new Job({
          name: 'rotation',
          expression: config.rotation.schedule,
          run: () => rotator.rotate('schedule'),
          status,
          log: log.child('schedule'),
          clock: systemClock,
          timezone,
        })
      : undefined;
  connection.start();
  refresh.start();
  // The journal first: a rotation before it is read would rewrite it without its unfinished records.
  await rotator.load();
  // Its unsettled consumer records keep the manager; created before the settle worker looks them up.
  const wanted = await consumersWanted({
    configured: config.consumers.length,
    dataDir,
    records: rotator.records,
    ssm: ssm !== undefined && config.aws !== undefined,
  });
  if (!wanted.run && wanted.problem) {
    log.warning(wanted.problem);
    status.addNotice(wanted.problem, 'consumers');
  }
  if (wanted.run && ssm && config.aws) {
    consumers = await createConsumers(config, config.aws.region, ssm, {
      rotator,
      connection,
      check,
      dataDir,
      status,
      log: log.child('consumers'),
      timezone,
    });
  }
  await rotator.start();
  rotation?.start();
  // After the journal: a consumer's first issue is a rotation.
  await consumers?.start();
  return {
    connection,
    refresh,
    rotator,
    consumers,
    stop: async () => {
      consumers?.stop();
      await rotator.stop();
      await rotation?.stop();
      await refresh.stop();
      await connection.stop();
    },
  };
}

async function createConsumers(
  config: Config,
  region: string,
  client: SSMClient,
  deps: Pick<
    ConsumerManagerOptions,
    'rotator' | 'connection' | 'check' | 'dataDir' | 'status' | 'log' | 'timezone'
  >,
): Promise<ConsumerManager> {
  const [{ ConsumerManager }, { ParameterStore, READS_PER_SECOND, WRITES_PER_SECOND }, { Pacer }] =
    await Promise.all([
      import('./consumers/manager.js'),
      import('./consumers/parameters.js'),
      import('./consumers/pacer.js'),
    ]);
  const store = new ParameterStore({
    client,
    region,
    log: deps.log,
    reads: new Pacer(READS_PER_SECOND, systemClock),
    writes: new Pacer(WRITES_PER_SECOND, systemClock),
    count: (operation) => deps.status.count('ssm_calls', operation),
  });
  return new ConsumerManager({
    ...deps,
    consumers: config.consumers,
    unusedAlertDays: config.unusedAlertDays,
    kmsKeyId: config.rotation.kmsKeyId,
    graceMinutes: config.rotation.graceMinutes,
    store,
    clock: systemClock,
  });
}

function notRunning() {
  return Promise.resolve({ ok: false, message: 'Not running: fix the options first.' });
}

function isPublisher(source: CredentialSource): source is SsmSource {
  return source.kind === 'ssm' && 'publish' in source;
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
  let alerts: StartedAlerts | undefined;
  let history: HistoryRecorder | undefined;
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
    await history?.stop();
    await alerts?.stop();
    await work?.stop();
    await closed;
    await flushPrivateFiles(); // e.g. a rejected token recorded just before the signal
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
    history = new HistoryRecorder(
      systemClock,
      viewOptions(options.config, env.timezone),
      env.dataDir,
    );
    const historyProblem = await history.load();
    if (historyProblem) log.warning(historyProblem);
    history.watch(status);
    page.history = () => history?.tracks() ?? [];
    if (options.config.ssm)
      page.iamPolicy = iamPolicy(
        options.config.ssm,
        options.config.rotation.schedule !== undefined,
      );
    page.alerts = env.supervisorToken
      ? `Alerts go to Home Assistant through the Supervisor${options.config.notifications ? '' : ' (notifications off)'}.`
      : 'Alerts in Home Assistant are off: no Supervisor (standalone).';
    if (env.supervisorToken) {
      alerts = startAlerts({
        supervisorUrl: env.supervisorUrl,
        supervisorToken: env.supervisorToken,
        config: options.config,
        status,
        log: log.child('alerts'),
        clock: systemClock,
        timezone: env.timezone,
        checkMs: env.alertsCheckMs,
        describe: (entities) => {
          page.alerts = `${page.alerts ?? ''} ${entities}`.trim();
        },
      });
    } else {
      log.info('Alerts in Home Assistant are off: no Supervisor (standalone)');
    }
    work = await startCredentialWork(options.config, env.dataDir, status, log, env.timezone);
  } else {
    for (const problem of options.problems) log.error(`Option problem: ${problem}`);
    status.setProblems(options.problems);
    const count = options.problems.length;
    status.setState(
      'misconfigured',
      `${count} option${count === 1 ? ' needs' : 's need'} fixing in the Options tab; nothing is sent to Home Assistant until then.`,
    );
  }
}

main().catch((error: unknown) => {
  const log = createLogger({ level: 'info' });
  log.fatal('Could not start', error);
  process.exit(1);
});
