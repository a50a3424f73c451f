import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { AddonOptions } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { forgedToken } from '../support/ha-commands.js';
import { scheduledRuns, settledFailedLogins } from '../support/settle.js';
import { sharedHa } from '../support/shared-ha.js';

const ha = sharedHa();
const addons = useAddons();
const startAddon = addons.start;
const failedLogins = () => settledFailedLogins(ha);
// Every 2 seconds (node-cron's six-field form): each run is a chance to send a token again.
const OFTEN = '*/2 * * * * *';

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
    const before = await failedLogins();

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
    expect(await failedLogins()).toBe(before);
    fakeHa.close();
  });

  test('a wrong token is unauthorized with the fix in words, and costs HA exactly one failed login over three refreshes', async () => {
    const wrong = forgedToken('wrong');
    addons.secret(wrong);
    const before = await failedLogins();
    const addon = await startAddon({
      home_assistant_url: ha.url,
      access_token: wrong,
      refresh_schedule: OFTEN,
    });

    const status = await addon.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');
    expect(status.reason).toMatch(/rejected/i);
    expect(status.reason).toMatch(/long-lived access token/i);
    await scheduledRuns(addon, 'refresh', 3);

    expect((await addon.status()).state).toBe('unauthorized');
    expect((await failedLogins()) - before).toBe(1);
    expect((await addon.get('/health')).status).toBe(200);
  });

  test('a rejected token is not sent again after a restart either', async () => {
    const wrong = addons.secret(forgedToken('restart'));
    const before = await failedLogins();
    const first = await startAddon({ home_assistant_url: ha.url, access_token: wrong });
    await first.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');

    await first.stop();
    const again = await startAddon(undefined, { dir: first.dir });
    const status = await again.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');

    expect(status.reason).toMatch(/still holds token .*, which Home Assistant rejected/);
    expect((await failedLogins()) - before).toBe(1);
  });

  test('a damaged record of rejected tokens is reported, kept, and what it still holds is not sent again', async () => {
    // Two rejected tokens on record, then the file cut short inside the second.
    const [first, second] = [forgedToken('damaged-1'), forgedToken('damaged-2')];
    addons.secret(first, second);
    const options = (token: string) => ({ home_assistant_url: ha.url, access_token: token });
    const a = await startAddon(options(first));
    await a.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');
    await a.stop();
    await writeFile(join(a.dir, 'options.json'), JSON.stringify(options(second)));
    const b = await startAddon(undefined, { dir: a.dir });
    await b.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');
    await b.stop();
    const file = join(a.dir, 'rejected-tokens.json');
    const whole = await readFile(file, 'utf8');
    await writeFile(file, whole.slice(0, whole.length - 10));
    await writeFile(join(a.dir, 'options.json'), JSON.stringify(options(first)));
    const before = await failedLogins();

    const c = await startAddon(undefined, { dir: a.dir });
    const status = await c.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');

    expect(status.notices).toEqual([
      expect.stringMatching(
        /^rejected-tokens\.json in .* was damaged \(not valid JSON\); the damaged copy is kept as rejected-tokens\.json\.damaged-.*1 rejected token was recovered/,
      ),
    ]);
    expect(status.reason).toMatch(/which Home Assistant rejected/);
    expect((await failedLogins()) - before).toBe(0);
    expect(c.output).toMatch(/WARNING .*rejected-tokens\.json in .* was damaged/);
    expect((await readdir(a.dir)).filter((f) => f.includes('.damaged-'))).toHaveLength(1);
  });

  test('a token revoked in HA while connected turns unauthorized at once (from the closed socket, not a scheduled run) and is never retried', async () => {
    const token = await ha.mint();
    addons.secret(token);
    const addon = await startAddon({
      home_assistant_url: ha.url,
      access_token: token,
      refresh_schedule: OFTEN,
    });
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    const before = await failedLogins();

    await ha.revoke(token);
    // Noticed from the socket Home Assistant closes, not from a scheduled run.
    await addon.waitForStatus('unauthorized', (s) => s.state === 'unauthorized');
    await scheduledRuns(addon, 'refresh', 3);

    // The one reconnect that discovered the revocation; none after it.
    expect((await failedLogins()) - before).toBeLessThanOrEqual(1);
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

  test('SIGTERM stops the add-on cleanly, inside its own 2 s deadline, with exit code 0', async () => {
    const token = await ha.mint();
    addons.secret(token);
    const addon = await startAddon({ home_assistant_url: ha.url, access_token: token });
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    const { code } = await addon.stop();

    expect(code).toBe(0);
    // main.ts exits on its own after 2 s with this warning; a clean stop never reaches it.
    expect(addon.output).toContain('Stopped');
    expect(addon.output).not.toContain('Stop took longer than');
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
    [
      'a URL with a password',
      {
        options: {
          home_assistant_url: 'http://owner:s3cret-url-pass@127.0.0.1:1',
          access_token: forgedToken('x'),
        },
      },
      [/^home_assistant_url: must not contain a user name or password/m],
    ],
    [
      'a cron expression that never fires, and a malformed token beside it',
      { options: { refresh_schedule: '0 0 1 * 1#5', access_token: 'not-a-token' } },
      [/^refresh_schedule: "0 0 1 \* 1#5" never runs/m, /^access_token: /m],
    ],
  ])(
    '%s: every problem is reported with its option name, and nothing is sent',
    async (_name, o, expected) => {
      addons.secret('s3cret-url-pass');
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
