import { createServer, type Server } from 'node:net';
import { describe, expect, test } from 'vitest';
import type { AddonOptions } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { forgedToken } from '../support/ha-commands.js';
import { sharedHa } from '../support/shared-ha.js';

const ha = sharedHa();
const addons = useAddons();
const startAddon = addons.start;

describe('with a token from the Options tab', () => {
  test('a valid token connects, and status shows the HA version and a ping round trip', async () => {
    const token = await ha.mint();
    addons.secret(token);
    const addon = await startAddon({ home_assistant_url: ha.url, access_token: token });

    const status = await addon.waitForStatus(
      'connected with a ping',
      (s) => s.state === 'connected' && s.connection?.pingRttMs !== undefined,
    );

    expect(status.connection?.haVersion).toMatch(/^20\d\d\.\d+\.\d+/);
    expect(status.connection?.pingRttMs).toBeGreaterThanOrEqual(0);
    expect(status.token).toMatchObject({ source: 'options', masked: `••••${token.slice(-4)}` });
    expect(status.token?.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect((await addon.get('/health')).status).toBe(200);
  });

  test('a malformed token is refused with a reason, and nothing reaches Home Assistant', async () => {
    // A listener that counts connections stands where HA would be.
    let connections = 0;
    const fakeHa: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => fakeHa.listen(0, '127.0.0.1', resolve));
    const port = (fakeHa.address() as { port: number }).port;
    const before = (await ha.failedLogins()).length;

    for (const bad of ['   ', 'not-a-token', 'a.b', 'abc def.ghi.jkl']) {
      const addon = await startAddon({
        home_assistant_url: `http://127.0.0.1:${port}`,
        access_token: bad,
      });
      const status = await addon.waitForStatus('misconfigured', (s) => s.state === 'misconfigured');
      expect(status.problems.join('\n')).toMatch(/^access_token: /m);
      await addon.stop();
    }

    expect(connections).toBe(0);
    expect((await ha.failedLogins()).length).toBe(before);
    fakeHa.close();
  });

  test('a wrong token is unauthorized with the fix in words, and costs HA exactly one failed login over 30 s', async () => {
    const wrong = forgedToken('wrong');
    addons.secret(wrong);
    const before = (await ha.failedLogins()).length;
    const addon = await startAddon({ home_assistant_url: ha.url, access_token: wrong });

    const status = await addon.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');
    expect(status.reason).toMatch(/rejected/i);
    expect(status.reason).toMatch(/long-lived access token/i);
    await new Promise((r) => setTimeout(r, 30_000));

    expect((await addon.status()).state).toBe('unauthorized');
    expect((await ha.failedLogins()).length - before).toBe(1);
    expect((await addon.get('/health')).status).toBe(200);
  });

  test('a rejected token is not sent again after a restart either', async () => {
    const wrong = addons.secret(forgedToken('restart'));
    const before = (await ha.failedLogins()).length;
    const first = await startAddon({ home_assistant_url: ha.url, access_token: wrong });
    await first.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');

    await first.stop();
    const again = await startAddon(undefined, { dir: first.dir });
    const status = await again.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');

    expect(status.reason).toMatch(/still holds token .*, which Home Assistant rejected/);
    expect((await ha.failedLogins()).length - before).toBe(1);
  });

  test('a token revoked in HA while connected turns unauthorized within a second and is never retried', async () => {
    const token = await ha.mint();
    addons.secret(token);
    const addon = await startAddon({ home_assistant_url: ha.url, access_token: token });
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    const before = (await ha.failedLogins()).length;

    const revokedAt = Date.now();
    await ha.revoke(token);
    await addon.waitForStatus('unauthorized', (s) => s.state === 'unauthorized', 5000);
    const tookMs = Date.now() - revokedAt;
    await new Promise((r) => setTimeout(r, 8000));

    expect(tookMs).toBeLessThan(1000);
    // The one reconnect that discovered the revocation; none after it.
    expect((await ha.failedLogins()).length - before).toBeLessThanOrEqual(1);
    expect((await addon.status()).state).toBe('unauthorized');
  });

  test('Home Assistant stopped and started: disconnected, then connected again by itself', async () => {
    const token = await ha.mint();
    addons.secret(token);
    const addon = await startAddon({ home_assistant_url: ha.url, access_token: token });
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    await ha.stop();
    const down = await addon.waitForStatus('disconnected', (s) => s.state === 'disconnected');
    await ha.start();
    const up = await addon.waitForStatus('connected again', (s) => s.state === 'connected', 60_000);

    expect(down.connection?.connected).toBe(false);
    expect(up.connection?.reconnects).toBeGreaterThanOrEqual(1);
    expect((await addon.get('/health')).status).toBe(200);
  });

  test('SIGTERM stops the add-on within 2 s with exit code 0', async () => {
    const token = await ha.mint();
    addons.secret(token);
    const addon = await startAddon({ home_assistant_url: ha.url, access_token: token });
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    const { code, ms } = await addon.stop();

    expect(code).toBe(0);
    expect(ms).toBeLessThan(2000);
  });
});

describe('with bad options', () => {
  test.each([
    ['a missing file', { noOptionsFile: true }, [/options file .* was not found/]],
    ['a file that is not JSON', { options: '{"access_token": "x",' }, [/not valid JSON/]],
    [
      'wrong types',
      {
        options: {
          home_assistant_url: 42,
          token_source: 'vault',
          log_level: 'loud',
          refresh_schedule: '61 * * * *',
        },
      },
      [/^home_assistant_url: /m, /^token_source: /m, /^log_level: /m, /^refresh_schedule: /m],
    ],
    [
      'a bad URL',
      { options: { home_assistant_url: 'homeassistant:8123', access_token: forgedToken('x') } },
      [/^home_assistant_url: .*http/m],
    ],
  ])(
    '%s: every problem is reported with its option name, and nothing is sent',
    async (_name, o, expected) => {
      const { options, ...extra } = o as AddonOptions;
      const addon = await startAddon(options, extra);

      const status = await addon.waitForStatus('misconfigured', (s) => s.state === 'misconfigured');

      for (const pattern of expected) expect(status.problems.join('\n')).toMatch(pattern);
      expect(status.problems).toHaveLength(expected.length);
      expect(status.connection).toBeUndefined();
      expect((await addon.get('/health')).status).toBe(200);
      await addon.stop();
      for (const pattern of expected) {
        expect(addon.output).toMatch(new RegExp(pattern.source.replace('^', '')));
      }
    },
  );
});
