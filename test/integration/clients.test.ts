import { afterAll, describe, expect, inject, test } from 'vitest';
import type { Addon } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { CONSUMERS, type Consumer, type ConsumerOptions, sha256 } from '../support/consumers.js';
import { sharedHa } from '../support/shared-ha.js';
import { putToken, SsmProxy, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// The consumer libraries (clients/node, clients/python) against the run's real
// Home Assistant and moto and the running add-on: the Node client in this
// process, the Python client in a child process driven over stdin/stdout.
const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
addons.secret(TEST_AWS.secretAccessKey);

const opened: Consumer[] = [];
afterAll(async () => {
  for (const consumer of opened.splice(0)) await consumer.close();
});

async function consumer(kind: keyof typeof CONSUMERS, options: ConsumerOptions) {
  const made =
    kind === 'python'
      ? await CONSUMERS.python(options, (text) => addons.record(text))
      : await CONSUMERS.node(options);
  opened.push(made);
  return made;
}

/** Home Assistant's failed-login warnings (components/http/ban.py) that name `userAgent`. */
async function failedLogins(userAgent?: string): Promise<number> {
  const lines = await ha.failedLogins();
  return userAgent ? lines.filter((l) => l.includes(userAgent)).length : lines.length;
}

async function publishedAddon(extra: Record<string, unknown> = {}) {
  const parameter = uniqueParameter();
  const first = addons.secret(await ha.mint());
  await putToken(ssm.moto, parameter, first);
  const addon: Addon = await addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter, extra));
  await addon.waitForStatus('connected', (s) => s.state === 'connected');
  return { addon, parameter, first };
}

describe('consumer libraries', () => {
  test('through a rotation by the add-on, a consumer calling GET /api/ every 100 ms has zero failures and sends no rejected token', async () => {
    const { addon, parameter } = await publishedAddon({ rotation_grace_minutes: 1 });
    // TTL below the grace period, as DOCS.md asks: the consumers pick up the
    // new token before the old one is revoked.
    const options = { parameter, haUrl: ha.url, endpoint: ssm.proxy.url, ttlMs: 20_000 };
    const riders = [await consumer('node', options), await consumer('python', options)];
    const failedBefore = await failedLogins();
    for (const rider of riders) await rider.startLoop('/api/', 100);

    const rotated = await addon.get('/api/rotate', { method: 'POST' });
    expect(rotated.status).toBe(200);
    await addon.waitForStatus(
      'the old token revoked after the grace period',
      (s) => s.rotation?.pending.length === 0,
      120_000,
    );
    await new Promise((r) => setTimeout(r, 3_000)); // a few calls after the revocation, too
    const results = [];
    for (const rider of riders)
      results.push({ name: rider.name, ...(await rider.stopLoop()), ...(await rider.stats()) });

    process.stderr.write(`[clients] rotation: ${JSON.stringify(results)}\n`);
    for (const r of results) {
      expect(r, r.name).toMatchObject({ failures: 0, unauthorized: 0 });
      expect(r.calls, r.name).toBeGreaterThan(500);
    }
    expect(await failedLogins()).toBe(failedBefore);
  });

  for (const kind of ['node', 'python'] as const) {
    test(`${kind}: after an out-of-band revocation, with the new token already in SSM, the next call succeeds after exactly one 401 and one failed login`, async () => {
      const { parameter, first } = await publishedAddon();
      const client = await consumer(kind, { parameter, haUrl: ha.url, endpoint: ssm.proxy.url });
      expect(await client.request('/api/')).toEqual({ status: 200 });
      const failedBefore = await failedLogins(client.userAgent);
      const allBefore = await failedLogins();

      const next = addons.secret(await ha.mint());
      await putToken(ssm.moto, parameter, next);
      await ha.revoke(first);
      const outcome = await client.request('/api/');
      const again = await client.request('/api/');

      expect(outcome).toEqual({ status: 200 });
      expect(again).toEqual({ status: 200 });
      expect(await client.tokenHash()).toBe(sha256(next));
      expect((await client.stats()).unauthorized).toBe(1);
      await expect
        .poll(() => failedLogins(client.userAgent), { timeout: 20_000 })
        .toBe(failedBefore + 1);
      // The add-on held the same token: it must not add a failed login of its own.
      expect(await failedLogins()).toBe(allBefore + 1);
      process.stderr.write(
        `[clients] ${kind} revocation: 401s ${(await client.stats()).unauthorized}, failed logins ${(await failedLogins(client.userAgent)) - failedBefore} (all user agents, the add-on's included: ${(await failedLogins()) - allBefore})\n`,
      );
    });

    test(`${kind}: 1,000 concurrent getToken() calls on a cold cache make one SSM read`, async () => {
      const { parameter, first } = await publishedAddon();
      // The consumer's own counting proxy: the add-on reads through the shared one.
      const counter = await SsmProxy.start(inject('motoUrl'));
      try {
        const client = await consumer(kind, { parameter, haUrl: ha.url, endpoint: counter.url });

        const result = await client.concurrent(1000);

        expect(result).toEqual({ distinct: [sha256(first)], errors: 0 });
        expect(counter.getParameterCalls).toBe(1);
        expect((await client.stats()).reads).toBe(1);
      } finally {
        await counter.close();
      }
    });

    test(`${kind}: a token near its exp is read again from SSM before it is used`, async () => {
      const { parameter, first } = await publishedAddon();
      const client = await consumer(kind, {
        parameter,
        haUrl: ha.url,
        endpoint: ssm.proxy.url,
        ttlMs: 10 * 86_400_000, // so only the token's own exp can end the cache
      });
      const now = Date.now();
      await client.setClock(now);
      expect(await client.request('/api/')).toEqual({ status: 200 });
      const exp = JSON.parse(Buffer.from(first.split('.')[1] ?? '', 'base64url').toString()).exp;
      const later = addons.secret(await ha.mint(3));
      await putToken(ssm.moto, parameter, later);

      await client.setClock(exp * 1000 - 299_000); // inside the 5-minute buffer
      const outcome = await client.request('/api/');

      expect(outcome).toEqual({ status: 200 });
      expect(await client.tokenHash()).toBe(sha256(later));
      expect((await client.stats()).reads).toBe(2);
    });
  }
});
