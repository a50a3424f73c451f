import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser } from './browser.js';
import { IngressProxy } from './ingress-proxy.js';

export const SHOTS = 'test-results/screenshots';

/**
 * Debian's Chromium and a loopback stand-in for the Supervisor's ingress, for
 * one test file: the add-on runs in Supervisor mode (`env`) and accepts only
 * the proxy's address (127.0.0.2 here, 172.30.32.2 in production). Point
 * `target` at the add-on a test started. The SUPERVISOR_TOKEN is registered
 * with the file's canary through `secret`.
 */
export function useIngressBrowser(
  secret: (...values: string[]) => unknown,
  supervisorToken: string,
  ...otherSecrets: string[]
) {
  const session = {
    browser: undefined as unknown as Browser,
    proxy: undefined as unknown as IngressProxy,
    target: 'http://127.0.0.1:1',
    env: { SUPERVISOR_TOKEN: supervisorToken, INGRESS_PEER: '127.0.0.2' },
  };
  // The first run on a fresh machine installs Chromium with apt: allow for it.
  beforeAll(async () => {
    secret(supervisorToken, ...otherSecrets);
    session.browser = await launchBrowser();
    session.proxy = await IngressProxy.start(() => session.target);
    await mkdir(SHOTS, { recursive: true });
  }, 600_000);
  afterAll(async () => {
    await session.browser?.close();
    await session.proxy?.close();
  });
  return session;
}
