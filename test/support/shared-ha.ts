import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { mintToken, revokeToken } from './ha-commands.js';

const FAILED_LOGIN = 'Login attempt or request with invalid authentication';

/** The run's shared Home Assistant, as a test worker sees it. */
export function sharedHa() {
  const ha = inject('ha');
  const control = async (action: 'stop' | 'start') => {
    const response = await fetch(`${ha.controlUrl}/${action}`, { method: 'POST' });
    if (!response.ok)
      throw new Error(`could not ${action} Home Assistant: ${await response.text()}`);
    return ((await response.json()) as { ms: number }).ms;
  };
  return {
    url: ha.url,
    adminToken: ha.adminToken,
    mint: (lifespanDays = 1) => mintToken(ha.url, ha.adminToken, lifespanDays),
    revoke: (token: string) => revokeToken(ha.url, ha.adminToken, token),
    stop: () => control('stop'),
    /** Resolves when Core is RUNNING again, with the milliseconds it took. */
    start: () => control('start'),
    /** Failed logins Core has recorded so far (its WARNING lines; components/http/ban.py). */
    failedLogins: async () => {
      const log = await readFile(join(ha.configDir, 'home-assistant.log'), 'utf8').catch(() => '');
      return log.split('\n').filter((line) => line.includes(FAILED_LOGIN));
    },
  };
}
