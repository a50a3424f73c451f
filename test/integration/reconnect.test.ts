import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createSsmClient } from '../../src/credentials/ssm-client.js';
import { SsmSource } from '../../src/credentials/ssm-source.js';
import { SourceError } from '../../src/errors.js';
import { createTcpProbe } from '../../src/ha/reachability.js';
import { createTokenCheck } from '../../src/ha/rest.js';
import { createLogger } from '../../src/log.js';
import { Token } from '../../src/tokens/token.js';
import { useAddons } from '../support/addon-session.js';
import { AuthHoldProxy } from '../support/auth-hold-proxy.js';
import { waitFor } from '../support/ports.js';
import { sharedHa } from '../support/shared-ha.js';
import { putToken, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
addons.secret(TEST_AWS.secretAccessKey);

afterEach(() => {
  ssm.proxy.mode = { kind: 'pass' };
});

/** A TCP listener that accepts and never answers: a peer whose replies are lost. */
async function blackHole(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('bounded waits', () => {
  test('Home Assistant restarts while SSM does not answer: the add-on reconnects with its cached token as soon as HA is back', async () => {
    const parameter = uniqueParameter();
    const token = addons.secret(await ha.mint());
    await putToken(ssm.moto, parameter, token);
    const addon = await addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    ssm.proxy.mode = { kind: 'blackhole' }; // an internet outage; Home Assistant is local
    await ha.stop();
    await addon.waitForStatus('disconnected', (s) => s.state === 'disconnected');
    const starting = ha.start();
    const acceptedAt = await waitFor(
      'HA to accept connections',
      async () =>
        // Any HTTP answer: after a restart an onboarded Core answers 404 here.
        (await fetch(`${ha.url}/api/onboarding`).catch(() => undefined)) !== undefined
          ? Date.now()
          : undefined,
      120_000,
      10,
    );
    const up = await addon.waitForStatus('connected again', (s) => s.state === 'connected', 20_000);
    process.stderr.write(
      `[reconnect] connected ${Date.now() - acceptedAt} ms after HA accepted connections, SSM silent\n`,
    );
    await starting;

    // Waiting on SSM would connect only after its read failed (timeouts and
    // retries, about 15 s), which records an SSM error; reconnecting with the
    // cached token comes first, with no error recorded yet.
    expect(up.token?.lastError).toBeUndefined();
    expect(up.token?.fallback).toBeUndefined();
    expect(up.connection?.token).toBe(`••••${token.slice(-4)}`);
    expect(ssm.proxy.getParameterCalls).toBeGreaterThan(0); // asked, not waited for
    // Home Assistant starts a new log file at each start: all of it is since the restart.
    expect(await ha.failedLogins()).toEqual([]);
  });

  test('SSM slow but within the deadline: a token rotated and revoked outside is replaced before the revoked one is re-sent', async () => {
    const parameter = uniqueParameter();
    const [oldToken, newToken] = [addons.secret(await ha.mint()), addons.secret(await ha.mint())];
    await putToken(ssm.moto, parameter, oldToken);
    const addon = await addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');
    const failedBefore = (await ha.failedLogins()).length;

    ssm.proxy.mode = { kind: 'latency', ms: 800 };
    await putToken(ssm.moto, parameter, newToken);
    await ha.revoke(oldToken); // closes the add-on's socket
    const after = await addon.waitForStatus(
      'connected with the new token',
      (s) => s.state === 'connected' && s.connection?.token === `••••${newToken.slice(-4)}`,
      10_000,
    );

    expect(after.token?.version).toBe(2);
    expect((await ha.failedLogins()).length - failedBefore).toBe(0);
  });

  test('an SSM endpoint that never answers fails the read within the timeouts, after the SDK retries', async () => {
    ssm.proxy.mode = { kind: 'blackhole' };
    const callsBefore = ssm.proxy.getParameterCalls;
    const source = new SsmSource({
      client: createSsmClient(
        { endpoint: ssm.proxy.url, ...TEST_AWS },
        { connectionTimeoutMs: 500, requestTimeoutMs: 500 },
      ),
      parameter: uniqueParameter(),
      region: TEST_AWS.region,
      log: createLogger({ level: 'fatal', sink: () => {} }),
    });

    const startedAt = Date.now();
    const error = await Promise.race([
      source.read().then(
        () => undefined,
        (e: unknown) => e,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 15 s'), 15_000)),
    ]);

    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(
      /SSM could not be reached to read .*TimeoutError|ETIMEDOUT/,
    );
    expect((error as SourceError).transient).toBe(true);
    expect(ssm.proxy.getParameterCalls - callsBefore).toBe(3); // the SDK's retries are kept
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  test('a Home Assistant that accepts but never answers fails the token check as unavailable within its timeout', async () => {
    const peer = await blackHole();
    const check = createTokenCheck(peer.url, { timeoutMs: 300 });
    const token = Token.parse(await ha.mint(), 'the test');

    const startedAt = Date.now();
    const error = await check(token).then(
      () => undefined,
      (e: unknown) => e,
    );
    await peer.close();

    expect((error as Error).name).toBe('HaUnavailableError');
    expect((error as Error).message).toMatch(/did not answer: timed out/);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });
});

describe('the readiness probe', () => {
  test('answers true for a listener and false for a closed port, and sends nothing', async () => {
    let received = 0;
    let accepted = 0;
    const listener: Server = createServer((socket) => {
      accepted++;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;

    const open = await createTcpProbe(`http://127.0.0.1:${port}`)();
    await waitFor(
      'the probe to close its socket',
      async () => accepted === 1 || undefined,
      2000,
      5,
    );
    await new Promise((resolve) => listener.close(resolve));
    const closed = await createTcpProbe(`http://127.0.0.1:${port}`)();

    expect(open).toBe(true);
    expect(closed).toBe(false);
    expect(received).toBe(0); // no request, no token: nothing Home Assistant could count
  });
});

describe('the token of the live socket', () => {
  test('a token adopted while a reconnecting socket authenticates with the old one: the connection ends on the new token', async () => {
    const parameter = uniqueParameter();
    const [oldToken, newToken] = [addons.secret(await ha.mint()), addons.secret(await ha.mint())];
    await putToken(ssm.moto, parameter, oldToken);
    const front = await AuthHoldProxy.start(ha.url);
    const addon = await addons.start(ssmAddonOptions(front.url, ssm.proxy.url, parameter));
    await addon.waitForStatus('connected', (s) => s.state === 'connected');

    front.hold = true;
    front.cutWebSockets(); // the library reconnects; its socket sends the old token, held
    await waitFor(
      'the old token on its way',
      async () => front.heldCount > 0 || undefined,
      10_000,
      10,
    );
    await putToken(ssm.moto, parameter, newToken);
    const refreshed = await addon.get('/api/refresh', { method: 'POST' }); // adopts it meanwhile
    front.release(); // HA answers auth_ok to the old token now
    const settled = await addon.waitForStatus(
      'connected on the new token',
      (s) => s.state === 'connected' && s.token?.version === 2,
      10_000,
    );

    expect(refreshed.status).toBe(200);
    expect(settled.connection?.token).toBe(`••••${newToken.slice(-4)}`);
    expect(settled.connection?.token).toBe(settled.token?.masked);
    // The truth from Home Assistant: revoking the new token closes the add-on's socket.
    await ha.revoke(newToken);
    await addon.waitForStatus(
      'the socket closed by the revocation',
      (s) => (s.connection?.reconnects ?? 0) > (settled.connection?.reconnects ?? 0),
      10_000,
    );
    await front.close();
  });
});
