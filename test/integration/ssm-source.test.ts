import { expect, test } from 'vitest';
import { SsmSource } from '../../src/credentials/ssm-source.js';
import { createTokenCheck } from '../../src/ha/rest.js';
import { StatusModel } from '../../src/status/status-model.js';
import { TokenManager } from '../../src/tokens/token-manager.js';
import { memoryLogger } from '../support/fakes.js';
import { sharedHa } from '../support/shared-ha.js';
import { putToken, ssmClient, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// The token manager and the SSM source in this process, against real moto and
// real Home Assistant, so the proxy can count every GetParameter on the wire.
const ha = sharedHa();
const ssm = useSsm();

test('1,000 concurrent token reads on a cold cache cause exactly one GetParameter', async () => {
  const parameter = uniqueParameter();
  const token = await ha.mint();
  await putToken(ssm.moto, parameter, token);
  const { log, lines } = memoryLogger();
  const status = new StatusModel({ now: () => Date.now() });
  const tokens = new TokenManager({
    source: new SsmSource({
      client: ssmClient(ssm.proxy.url),
      parameter,
      region: TEST_AWS.region,
      log,
    }),
    check: createTokenCheck(ha.url),
    status,
    log,
    clock: { now: () => Date.now() },
    ttlMs: 60_000,
  });
  ssm.proxy.getParameterCalls = 0;

  const results = await Promise.all(Array.from({ length: 1000 }, () => tokens.current()));

  expect(ssm.proxy.getParameterCalls).toBe(1);
  expect(tokens.reads).toBe(1);
  expect(new Set(results.map((t) => t.fingerprint)).size).toBe(1);
  expect(results[0]?.reveal()).toBe(token);
  expect(status.snapshot().token).toMatchObject({ version: 1, source: 'ssm' });
  expect(`${lines.join('\n')}${JSON.stringify(status.snapshot())}`).not.toContain(token);
});
