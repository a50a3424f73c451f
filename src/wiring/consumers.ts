import type { SSMClient } from '@aws-sdk/client-ssm';
import { systemClock } from '../clock.js';
import type { ConsumerManager, ConsumerManagerOptions } from '../consumers/manager.js';
import type { Config } from '../options.js';

// The consumer manager and its paced parameter store, loaded only when there
// are consumers to manage.

export async function createConsumers(
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
      import('../consumers/manager.js'),
      import('../consumers/parameters.js'),
      import('../consumers/pacer.js'),
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
