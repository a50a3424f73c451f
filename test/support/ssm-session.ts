import type { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, inject } from 'vitest';
import { SsmProxy, ssmClient } from './ssm.js';

/** For one test file: a client of the run's moto, and a proxy in front of it that fails on cue. */
export function useSsm(): { readonly moto: SSMClient; readonly proxy: SsmProxy } {
  const motoUrl = inject('motoUrl');
  let proxy: SsmProxy | undefined;
  beforeAll(async () => {
    proxy = await SsmProxy.start(motoUrl);
  });
  afterAll(() => proxy?.close());
  return {
    moto: ssmClient(motoUrl),
    get proxy(): SsmProxy {
      if (!proxy) throw new Error('the SSM proxy starts in beforeAll');
      return proxy;
    },
  };
}
