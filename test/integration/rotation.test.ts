import { mkdir, writeFile } from 'node:fs/promises';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import type { Addon } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { haCommand } from '../support/ha-commands.js';
import { HaProxy } from '../support/ha-proxy.js';
import { sharedHa } from '../support/shared-ha.js';
import { putToken, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// Rotation (docs/rotation.md) against the real Home Assistant and moto. The grace
// period is the real minimum, one minute: the two tests that wait it out are
// the slowest in the suite, and that is the point — nothing is faked here.
const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
const moto = ssm.moto;
addons.secret(TEST_AWS.secretAccessKey);

async function readParameter(name: string) {
  const result = await moto.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return { value: result.Parameter?.Value ?? '', version: result.Parameter?.Version ?? 0 };
}

/** Status of `GET /api/` with `token` — what any consumer of the token sees. */
async function works(token: string): Promise<boolean> {
  const response = await fetch(`${ha.url}/api/`, { headers: { Authorization: `Bearer ${token}` } });
  return response.status === 200;
}

async function rotate(addon: Addon) {
  const response = await addon.get('/api/rotate', { method: 'POST' });
  return {
    status: response.status,
    ...(JSON.parse(response.body) as { ok: boolean; message: string }),
  };
}

async function mintedSince(since: number): Promise<string[]> {
  const tokens = await haCommand<{ client_name: string | null; created_at: string }[]>(
    ha.url,
    ha.adminToken,
    {
      type: 'auth/refresh_tokens',
    },
  );
  return tokens
    .filter(
      (t) => t.client_name?.startsWith('HA Token Manager') && Date.parse(t.created_at) >= since,
    )
    .map((t) => t.client_name as string);
}

async function rotatingAddon(extra: Record<string, unknown> = {}, haUrl = ha.url) {
  const parameter = uniqueParameter();
  const old = addons.secret(await ha.mint());
  await putToken(moto, parameter, old);
  const addon = await addons.start(
    ssmAddonOptions(haUrl, ssm.proxy.url, parameter, { rotation_grace_minutes: 1, ...extra }),
  );
  await addon.waitForStatus('connected', (s) => s.state === 'connected');
  return { addon, parameter, old };
}

describe('rotation', () => {
  test('happy path: a new version in SSM, the old token works through the grace period and is then revoked; a consumer never holds a failing token', async () => {
    const { addon, parameter, old } = await rotatingAddon();
    // A consumer that re-reads SSM and uses what it finds, throughout.
    const consumer = { running: true, failures: 0, calls: 0 };
    const consuming = (async () => {
      while (consumer.running) {
        const { value } = await readParameter(parameter);
        consumer.calls++;
        if (!(await works(value))) consumer.failures++;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    const outcome = await rotate(addon);
    const after = await readParameter(parameter);
    addons.secret(after.value);
    const status = await addon.status();

    expect(outcome).toMatchObject({ status: 200, ok: true });
    expect(after.version).toBe(2);
    expect(after.value).not.toBe(old);
    expect(await works(after.value)).toBe(true);
    expect(await works(old)).toBe(true);
    expect(status.token).toMatchObject({ version: 2, masked: `••••${after.value.slice(-4)}` });
    expect(status.connection?.connected).toBe(true);
    expect(status.rotation?.pending).toEqual([
      { masked: `••••${old.slice(-4)}`, dueAt: expect.any(String) },
    ]);

    const revoked = await addon.waitForStatus(
      'the old token revoked',
      (s) => s.rotation?.pending.length === 0,
      90_000,
    );
    consumer.running = false;
    await consuming;

    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(status.rotation?.pending[0]?.dueAt ?? ''));
    expect(await works(old)).toBe(false);
    expect(await works(after.value)).toBe(true);
    expect(consumer.calls).toBeGreaterThan(100);
    expect(consumer.failures).toBe(0);
    const events = revoked.events.filter((e) => e.source === 'rotation').reverse();
    await mkdir('test-results', { recursive: true });
    await writeFile('test-results/rotation-events.json', `${JSON.stringify(events, null, 2)}\n`);
    expect(events.map((e) => e.message).join('\n')).toMatch(
      /Minted[\s\S]*Published[\s\S]*Rotation done[\s\S]*Revoked the replaced token/,
    );
  });

  test('PutParameter fails: the minted token is revoked, SSM is unchanged, the old token still works', async () => {
    const since = Date.now();
    const { addon, parameter, old } = await rotatingAddon();
    ssm.proxy.mode = {
      kind: 'error',
      onlyFor: 'PutParameter',
      type: 'AccessDeniedException',
      message: `User: arn:aws:iam::123456789012:user/ha is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter${parameter}`,
    };

    const outcome = await rotate(addon);
    ssm.proxy.mode = { kind: 'pass' };

    expect(outcome).toMatchObject({ status: 502, ok: false });
    expect(outcome.message).toMatch(
      /Allow ssm:PutParameter on arn:aws:ssm:us-east-1:123456789012:parameter\/htm-test/,
    );
    expect(outcome.message).toMatch(/new token was revoked/);
    expect(await readParameter(parameter)).toEqual({ value: old, version: 1 });
    expect(await works(old)).toBe(true);
    expect(await mintedSince(since)).toEqual([]);
    expect((await addon.status()).state).toBe('connected');
  });

  test('verification fails (Home Assistant answers 503 mid-rotation): rolled back the same way', async () => {
    const front = await HaProxy.start(ha.url);
    try {
      const since = Date.now();
      const { addon, parameter, old } = await rotatingAddon({}, front.url);
      front.failApiChecks = true;

      const outcome = await rotate(addon);
      front.failApiChecks = false;

      expect(outcome.ok).toBe(false);
      expect(outcome.message).toMatch(/answered 503[\s\S]*new token was revoked/);
      expect(await readParameter(parameter)).toEqual({ value: old, version: 1 });
      expect(await works(old)).toBe(true);
      expect(await mintedSince(since)).toEqual([]);
    } finally {
      await front.close();
    }
  });

  test('a restart during the grace period: the old token is still revoked when due', async () => {
    const { addon, old } = await rotatingAddon();
    expect((await rotate(addon)).ok).toBe(true);

    await addon.stop();
    const again = await addons.start(undefined, { dir: addon.dir });
    const resumed = await again.waitForStatus(
      'connected, with the pending revocation',
      (s) => s.state === 'connected' && (s.rotation?.pending.length ?? 0) === 1,
    );
    expect(await works(old)).toBe(true);
    await again.waitForStatus(
      'the old token revoked',
      (s) => s.rotation?.pending.length === 0,
      90_000,
    );

    expect(resumed.rotation?.pending[0]?.masked).toBe(`••••${old.slice(-4)}`);
    expect(await works(old)).toBe(false);
  });

  test('a scheduled rotation fires on its cron expression', async () => {
    // Once a minute: rotations may not come closer than the grace period (one minute here).
    const { addon, parameter } = await rotatingAddon({ rotation_schedule: '* * * * *' });

    const status = await addon.waitForStatus(
      'a scheduled rotation',
      (s) => s.schedules.find((j) => j.name === 'rotation')?.lastResult === 'ok',
      75_000,
    );
    addons.secret((await readParameter(parameter)).value);

    expect(status.schedules.find((j) => j.name === 'rotation')).toMatchObject({
      lastResult: 'ok',
      expression: '* * * * *',
    });
    expect((await readParameter(parameter)).version).toBeGreaterThanOrEqual(2);
  });

  test('refusals say why: the options source, and a rotation already running', async () => {
    const options = await addons.start({
      home_assistant_url: ha.url,
      access_token: addons.secret(await ha.mint()),
    });
    await options.waitForStatus('connected', (s) => s.state === 'connected');
    const refused = await rotate(options);
    const { addon, parameter } = await rotatingAddon();

    const [first, second] = await Promise.all([rotate(addon), rotate(addon)]);
    addons.secret((await readParameter(parameter)).value);

    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/needs token_source "ssm"/);
    expect([first.ok, second.ok].sort()).toEqual([false, true]);
    expect([first.message, second.message].join('\n')).toMatch(/A rotation is already running/);
  });
});
