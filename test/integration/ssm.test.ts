import { describe, expect, test } from 'vitest';
import { useAddons } from '../support/addon-session.js';
import { forgedToken } from '../support/ha-commands.js';
import { scheduledRuns, settledFailedLogins } from '../support/settle.js';
import { sharedHa } from '../support/shared-ha.js';
import { NEVER, putToken, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
const moto = ssm.moto;
const failedLogins = () => settledFailedLogins(ha);

addons.secret(TEST_AWS.secretAccessKey);
const ssmOptions = (parameter: string, extra: Record<string, unknown> = {}) =>
  ssmAddonOptions(ha.url, ssm.proxy.url, parameter, extra);

async function refreshNow(addon: {
  get: (p: string, i?: RequestInit) => Promise<{ status: number; body: string }>;
}) {
  const response = await addon.get('/api/refresh', { method: 'POST' });
  return {
    status: response.status,
    ...(JSON.parse(response.body) as { ok: boolean; message: string }),
  };
}

describe('a token in an SSM SecureString parameter', () => {
  test('connects, and status names the parameter and its version', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    const token = addons.secret(await ha.mint());
    await putToken(moto, parameter, 'placeholder-version-1');
    const version = await putToken(moto, parameter, token);

    const addon = await addons.start(ssmOptions(parameter));
    const status = await addon.waitForStatus('connected', (s) => s.state === 'connected');

    expect(version).toBe(2);
    expect(status.token).toMatchObject({
      source: 'ssm',
      sourceDescription: `SSM parameter ${parameter}`,
      version: 2,
    });
    expect(status.token?.modifiedAt).toMatch(/^20\d\d-/);
    expect(status.schedules).toEqual([
      expect.objectContaining({ name: 'refresh', expression: NEVER }),
    ]);
  });

  test('rotated outside and the old token revoked: re-authenticated with the new one by itself, without a scheduled run', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    const [oldToken, newToken] = [addons.secret(await ha.mint()), addons.secret(await ha.mint())];
    await putToken(moto, parameter, oldToken);
    const addon = await addons.start(ssmOptions(parameter));
    const before = await addon.waitForStatus('connected', (s) => s.state === 'connected');
    const failedBefore = await failedLogins();

    await putToken(moto, parameter, newToken);
    await ha.revoke(oldToken);
    const after = await addon.waitForStatus(
      'connected with the new token',
      (s) => s.state === 'connected' && s.token?.version === 2 && s.connection?.connected === true,
      10_000,
    );

    expect(after.token?.fingerprint).not.toBe(before.token?.fingerprint);
    expect(after.token?.masked).toBe(`••••${newToken.slice(-4)}`);
    expect(after.schedules[0]?.lastRunAt).toBeUndefined();
    // The drop made the add-on re-read SSM before reconnecting: the revoked token was never re-sent.
    expect((await failedLogins()) - failedBefore).toBe(0);
  });

  test('rotated without revocation: the next scheduled run picks it up and swaps the connection', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    const [oldToken, newToken] = [addons.secret(await ha.mint()), addons.secret(await ha.mint())];
    await putToken(moto, parameter, oldToken);
    // Every 2 seconds (node-cron's six-field form), to drive the schedule quickly.
    const addon = await addons.start(ssmOptions(parameter, { refresh_schedule: '*/2 * * * * *' }));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    await putToken(moto, parameter, newToken);
    const after = await addon.waitForStatus(
      'the new version in use',
      (s) => s.state === 'connected' && s.token?.version === 2,
      10_000,
    );

    expect(after.token?.masked).toBe(`••••${newToken.slice(-4)}`);
    expect(after.schedules[0]).toMatchObject({
      lastResult: 'ok',
      lastMessage: expect.stringMatching(/New token/),
    });
    expect(after.schedules[0]?.lastDurationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(after.schedules[0]?.nextRunAt ?? '')).toBeGreaterThan(
      Date.parse(after.schedules[0]?.lastRunAt ?? ''),
    );
    expect(after.events.map((e) => e.message).join('\n')).toMatch(/Switched to token/);
  });

  test('a new version holding a bad token: the old connection is kept, it is reported, and the bad token is sent once', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    const good = addons.secret(await ha.mint());
    const bad = addons.secret(forgedToken('ssm-bad'));
    await putToken(moto, parameter, good);
    const addon = await addons.start(ssmOptions(parameter, { refresh_schedule: '*/2 * * * * *' }));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    const failedBefore = await failedLogins();

    await putToken(moto, parameter, bad);
    const degraded = await addon.waitForStatus('degraded', (s) => s.state === 'degraded', 10_000);
    await scheduledRuns(addon, 'refresh', 3);

    const status = await addon.status();
    expect(status.state).toBe('degraded');
    expect(status.connection?.connected).toBe(true);
    expect(status.token?.masked).toBe(`••••${good.slice(-4)}`);
    expect(degraded.reason).toMatch(/rejected/);
    expect(degraded.reason).toMatch(/last-known-good/);
    expect(status.schedules[0]?.lastResult).toBe('failed');
    expect((await failedLogins()) - failedBefore).toBe(1);
  });

  test('unauthorized, then a good token put into SSM: the next refresh reconnects with it', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    const [first, second] = [addons.secret(await ha.mint()), addons.secret(await ha.mint())];
    await putToken(moto, parameter, first);
    const addon = await addons.start(ssmOptions(parameter));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    const failedBefore = await failedLogins();

    await ha.revoke(first);
    await addon.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');
    await putToken(moto, parameter, second);
    const outcome = await refreshNow(addon);
    const after = await addon.waitForStatus(
      'connected again',
      (s) => s.state === 'connected',
      10_000,
    );

    expect(outcome.ok).toBe(true);
    expect(after.token).toMatchObject({ version: 2, masked: `••••${second.slice(-4)}` });
    // The revoked token was sent once (the reconnect that found it revoked), never again.
    expect((await failedLogins()) - failedBefore).toBe(1);
  });

  test('a value that is not a token is refused without being echoed', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    const junk = addons.secret('hunter2-is-not-a-token');
    await putToken(moto, parameter, junk);

    const addon = await addons.start(ssmOptions(parameter));
    const status = await addon.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');

    expect(status.reason).toMatch(
      new RegExp(`SSM parameter ${parameter} \\(version 1\\) is not shaped like`),
    );
  });

  test('a parameter that does not exist: the reason names it and how to create it', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();

    const addon = await addons.start(ssmOptions(parameter));
    const status = await addon.waitForStatus('reported', (s) => /was not found/.test(s.reason));

    expect(status.state).toBe('disconnected');
    expect(status.reason).toContain(
      `SSM parameter ${parameter} was not found in ${TEST_AWS.region}`,
    );
    expect(status.reason).toMatch(/put-parameter/);
  });
});

describe('when SSM fails after a token worked', () => {
  // moto cannot refuse access, fail KMS or throttle: the proxy answers these
  // with the exact AWS JSON 1.1 error shape SSM uses (__type + message).
  const account = '123456789012';
  test.each([
    [
      'AccessDeniedException',
      `User: arn:aws:iam::${account}:user/ha is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:${account}:parameter/ha/token because no identity-based policy allows the ssm:GetParameter action`,
      /Allow ssm:GetParameter on arn:aws:ssm:us-east-1:123456789012:parameter\/ha\/token/,
    ],
    [
      'AccessDeniedException',
      `User: arn:aws:iam::${account}:user/ha is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the kms:Decrypt action`,
      /Allow kms:Decrypt on arn:aws:kms:us-east-1:123456789012:key\/1234abcd/,
    ],
    [
      'KMSDisabledException',
      'arn:aws:kms:us-east-1:123456789012:key/abcd is disabled.',
      /could not be decrypted \(KMSDisabledException\)/,
    ],
    ['ThrottlingException', 'Rate exceeded', /SSM throttled reads/],
  ])(
    '%s (%#): the reason says what to fix, and the last-known-good token stays in use',
    async (type, message, reason) => {
      ssm.proxy.mode = { kind: 'pass' };
      const parameter = uniqueParameter();
      await putToken(moto, parameter, addons.secret(await ha.mint()));
      const addon = await addons.start(ssmOptions(parameter));
      await addon.waitForStatus('connected', (s) => s.state === 'connected');

      ssm.proxy.mode = { kind: 'error', type, message };
      const outcome = await refreshNow(addon);
      const status = await addon.status();
      ssm.proxy.mode = { kind: 'pass' };

      expect(outcome).toMatchObject({ status: 502, ok: false });
      expect(outcome.message).toMatch(reason);
      expect(status.state).toBe('degraded');
      expect(status.reason).toMatch(reason);
      expect(status.reason).toMatch(/last-known-good/);
      expect(status.connection?.connected).toBe(true);
    },
  );

  test('SSM down: degraded with since-when; SSM back: healthy at the next run', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    await putToken(moto, parameter, addons.secret(await ha.mint()));
    const addon = await addons.start(ssmOptions(parameter, { refresh_schedule: '*/2 * * * * *' }));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    ssm.proxy.down();
    const down = await addon.waitForStatus('degraded', (s) => s.state === 'degraded', 20_000);
    ssm.proxy.mode = { kind: 'pass' };
    const back = await addon.waitForStatus(
      'connected again',
      (s) => s.state === 'connected',
      20_000,
    );

    expect(down.reason).toMatch(/SSM could not be reached/);
    expect(down.degradedSince).toMatch(/^20\d\d-/);
    expect(down.token?.fallback).toBe('last-known-good token');
    expect(back.degradedSince).toBeUndefined();
    expect(back.token?.fallback).toBeUndefined();
  });

  test('POST /api/refresh refuses cross-origin requests', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const parameter = uniqueParameter();
    await putToken(moto, parameter, addons.secret(await ha.mint()));
    const addon = await addons.start(ssmOptions(parameter));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    const foreign = await addon.get('/api/refresh', {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
    });
    const crossSite = await addon.get('/api/refresh', {
      method: 'POST',
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    });
    const viaGet = await addon.get('/api/refresh');

    expect(foreign.status).toBe(403);
    expect(crossSite.status).toBe(403);
    expect(viaGet.status).toBe(404);
  });
});
