import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { useAddons } from '../support/addon-session.js';
import { forgedToken } from '../support/ha-commands.js';
import { waitFor } from '../support/ports.js';
import { scheduledRuns, settledFailedLogins } from '../support/settle.js';
import { sharedHa } from '../support/shared-ha.js';
import { putToken, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// The compatibility subset: what the add-on needs from Home Assistant, against
// 2024.3.3, the oldest release it supports (the compat project's global setup
// starts that release; the integration project runs everything on 2026.11).
const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
addons.secret(TEST_AWS.secretAccessKey);

/** Every 2 s (node-cron's six-field form), so scheduled runs come quickly. */
const OFTEN = '*/2 * * * * *';

/** Status of `GET /api/` with `token` — what any consumer of the token sees. */
async function works(token: string): Promise<boolean> {
  const response = await fetch(`${ha.url}/api/`, { headers: { Authorization: `Bearer ${token}` } });
  return response.status === 200;
}

describe('against Home Assistant 2024.3.3', () => {
  test('a valid token connects, and status shows 2024.3.3', async () => {
    const token = addons.secret(await ha.mint());
    const addon = await addons.start({ home_assistant_url: ha.url, access_token: token });

    const status = await addon.waitForStatus('connected', (s) => s.state === 'connected');

    expect(status.connection?.haVersion).toBe('2024.3.3');
  });

  test('a wrong token costs exactly one failed login', async () => {
    const wrong = addons.secret(forgedToken('compat'));
    const before = await settledFailedLogins(ha);
    const addon = await addons.start({
      home_assistant_url: ha.url,
      access_token: wrong,
      refresh_schedule: OFTEN,
    });

    await addon.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');
    // Three refreshes: three chances to send the rejected token again.
    await scheduledRuns(addon, 'refresh', 3);

    expect((await addon.status()).state).toBe('unauthorized');
    expect((await settledFailedLogins(ha)) - before).toBe(1);
  });

  test('a token revoked while connected is noticed from the closed socket and not retried', async () => {
    const token = addons.secret(await ha.mint());
    const addon = await addons.start({
      home_assistant_url: ha.url,
      access_token: token,
      refresh_schedule: OFTEN,
    });
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    const before = await settledFailedLogins(ha);

    await ha.revoke(token);
    await addon.waitForStatus('unauthorized', (s) => s.state === 'unauthorized', 5000);
    await scheduledRuns(addon, 'refresh', 3);

    expect((await settledFailedLogins(ha)) - before).toBeLessThanOrEqual(1);
  });

  test('POST /api/rotate: a new token in SSM that works, and the old one revoked after the grace period', async () => {
    const parameter = uniqueParameter();
    const old = addons.secret(await ha.mint());
    await putToken(ssm.moto, parameter, old);
    const addon = await addons.start(
      ssmAddonOptions(ha.url, ssm.proxy.url, parameter, { rotation_grace_minutes: 1 }),
    );
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    const response = await addon.get('/api/rotate', { method: 'POST' });
    const stored = await ssm.moto.send(
      new GetParameterCommand({ Name: parameter, WithDecryption: true }),
    );
    const next = addons.secret(stored.Parameter?.Value ?? '');

    expect(response.status).toBe(200);
    expect(stored.Parameter?.Version).toBe(2);
    expect(next).not.toBe(old);
    expect(await works(next)).toBe(true);
    expect(await works(old)).toBe(true);
    await waitFor('the old token revoked', async () => !(await works(old)), 100_000, 1000);
    expect(await works(next)).toBe(true);
    expect((await addon.status()).state).toBe('connected');
  });
});
