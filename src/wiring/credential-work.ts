import type { SSMClient } from '@aws-sdk/client-ssm';
import { systemClock } from '../clock.js';
import type { ConsumerManager } from '../consumers/manager.js';
import { consumersWanted } from '../consumers/wanted.js';
import { OptionsSource } from '../credentials/options-source.js';
import type { CredentialSource } from '../credentials/source.js';
import type { SsmSource } from '../credentials/ssm-source.js';
import { HaConnection } from '../ha/connection.js';
import { createTokenCheck } from '../ha/rest.js';
import type { Logger } from '../log.js';
import type { Config } from '../options.js';
import { Rotator } from '../rotation/rotator.js';
import { Job } from '../schedule/job.js';
import type { StatusModel } from '../status/status-model.js';
import { KnownBadTokens } from '../tokens/known-bad.js';
import { TokenManager } from '../tokens/token-manager.js';
import { createConsumers } from './consumers.js';

// The work on credentials, built from valid options: the source, the token
// manager, the connection, the refresh and rotation jobs, the rotator and the
// consumer manager, started in order and stopped in reverse.

interface Running {
  stop(): Promise<void>;
}

/** One SSM client for the source and the consumers, or none when nothing uses SSM. */
async function createSsm(config: Config): Promise<SSMClient | undefined> {
  if (!config.aws) return undefined;
  // Loaded only for SSM: the AWS SDK roughly doubles the idle footprint.
  const { createSsmClient } = await import('../credentials/ssm-client.js');
  // With connect and request timeouts (ssm-client.ts): no SSM call waits unbounded.
  return createSsmClient(config.aws);
}

async function createSource(
  config: Config,
  client: SSMClient | undefined,
  log: Logger,
): Promise<CredentialSource> {
  if (config.tokenSource === 'ssm' && config.ssm && client) {
    const { SsmSource } = await import('../credentials/ssm-source.js');
    return new SsmSource({
      client,
      parameter: config.ssm.parameter,
      region: config.ssm.region,
      log: log.child('ssm'),
    });
  }
  return new OptionsSource(config.accessToken?.reveal());
}

export interface CredentialWork extends Running {
  connection: HaConnection;
  refresh: Job;
  rotator: Rotator;
  consumers: ConsumerManager | undefined;
}

export async function startCredentialWork(
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

function isPublisher(source: CredentialSource): source is SsmSource {
  return source.kind === 'ssm' && 'publish' in source;
}
