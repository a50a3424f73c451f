import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { GetParameterCommand, GetParameterCommandOutput } from '@aws-sdk/client-ssm';
import { describe, expect, test, vi } from 'vitest';
import {
  AccessDeniedError,
  ParameterNotFoundError,
  TokenClient,
  TokenRejectedError,
} from '../src/index.js';

// Unit tests: a fake SSM client and clock. The real Home Assistant, moto and
// add-on are in test/integration/clients.test.ts.

const HOUR = 3_600_000;

function jwt(expSeconds: number, id = 'x'): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ iss: id, exp: expSeconds })}.sig-${id}`;
}

class FakeSsm {
  value: string;
  reads = 0;
  error: Error | undefined;
  constructor(value: string) {
    this.value = value;
  }
  async send(_command: GetParameterCommand): Promise<GetParameterCommandOutput> {
    this.reads++;
    await new Promise((r) => setTimeout(r, 5));
    if (this.error) throw this.error;
    return { Parameter: { Value: this.value, Version: this.reads }, $metadata: {} };
  }
}

function setup(value = jwt(Date.now() / 1000 + 24 * 3600), extra = {}) {
  const clock = { t: Date.now(), now: () => clock.t };
  const ssm = new FakeSsm(value);
  const client = new TokenClient({
    parameter: '/ha/token',
    ssm,
    clock,
    extension: false,
    ...extra,
  });
  return { clock, ssm, client };
}

describe('TokenClient.getToken', () => {
  test('a thousand concurrent callers on a cold cache share one SSM read', async () => {
    const { ssm, client } = setup();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => client.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(ssm.reads).toBe(1);
  });

  test('the cache is trusted for the TTL, then SSM is read again', async () => {
    const { clock, ssm, client } = setup(undefined, { ttlMs: 60_000 });
    await client.getToken();
    clock.t += 59_000;
    await client.getToken();
    expect(ssm.reads).toBe(1);
    clock.t += 2_000;
    await client.getToken();
    expect(ssm.reads).toBe(2);
  });

  test("never past the token's own exp minus the buffer, even with a long TTL", async () => {
    const now = Date.now();
    const { clock, ssm, client } = setup(jwt(now / 1000 + 600, 'old'), { ttlMs: 24 * HOUR });
    expect(await client.getToken()).toBe(jwt(now / 1000 + 600, 'old'));
    ssm.value = jwt(now / 1000 + 24 * 3600, 'new');
    clock.t = now + 301_000; // 299 s before exp, inside the 300 s buffer
    expect(await client.getToken()).toBe(jwt(now / 1000 + 24 * 3600, 'new'));
    expect(ssm.reads).toBe(2);
  });

  test('a token already inside the buffer is used but trusted only briefly', async () => {
    const now = Date.now();
    const { clock, ssm, client } = setup(jwt(now / 1000 + 120), { ttlMs: HOUR });
    await client.getToken();
    clock.t += 31_000;
    await client.getToken();
    expect(ssm.reads).toBe(2);
  });

  test('SDK errors name the parameter and the fix, never the token', async () => {
    const { ssm, client } = setup();
    ssm.error = Object.assign(new Error('Parameter not found'), { name: 'ParameterNotFound' });
    await expect(client.getToken()).rejects.toThrow(ParameterNotFoundError);
    await expect(client.getToken()).rejects.toThrow(/\/ha\/token.*add-on creates it/);
    ssm.error = Object.assign(
      new Error(
        'User: arn:aws:iam::1:user/x is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:eu-west-1:1:parameter/ha/token',
      ),
      { name: 'AccessDeniedException' },
    );
    const denied = await client.getToken().catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(String(denied)).toMatch(
      /ssm:GetParameter on arn:aws:ssm:eu-west-1:1:parameter\/ha\/token.*kms:Decrypt/,
    );
  });

  test('the token never shows in inspect, JSON or String', async () => {
    const { client, ssm } = setup();
    const token = await client.getToken();
    // The cache lives in private (#) fields, which neither inspect (even with
    // showHidden, bypassing the custom inspector) nor Object.entries reach.
    const raw = inspect(client, { showHidden: true, depth: 10, customInspect: false });
    const fields = JSON.stringify(Object.entries(client));
    for (const text of [inspect(client), JSON.stringify(client), String(client), raw, fields])
      expect(text).not.toContain(token.slice(0, -4));
    expect(inspect(client)).toContain('/ha/token');
    expect(ssm.reads).toBe(1);
  });

  test('background refresh re-reads before the cache runs out, and stops on close()', async () => {
    // Fake timers (and Date, the client's default clock): the test moves time, never waits for it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const ssm = new FakeSsm(jwt(Date.now() / 1000 + 3600));
      const client = new TokenClient({
        parameter: '/ha/token',
        ssm,
        extension: false,
        ttlMs: 10_000,
        refreshAhead: true,
      });
      const first = client.getToken();
      await vi.advanceTimersByTimeAsync(5);
      await first;
      await vi.advanceTimersByTimeAsync(7_990);
      expect(ssm.reads).toBe(1);
      await vi.advanceTimersByTimeAsync(10); // 80% of the TTL
      expect(ssm.reads).toBe(2);
      await vi.advanceTimersByTimeAsync(5); // the read answers and the next refresh is set
      expect(vi.getTimerCount()).toBe(1);
      client.close();
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(ssm.reads).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('TokenClient while SSM cannot be read', () => {
  function outage() {
    const errors: unknown[] = [];
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) };
    const s = setup(undefined, { ttlMs: 60_000, onError: (e: unknown) => errors.push(e), logger });
    return { ...s, errors, warnings };
  }

  test('the cached token stands in until exp minus the buffer; the error is reported; reads back off', async () => {
    const { clock, ssm, client, errors, warnings } = outage();
    const token = await client.getToken();
    ssm.error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    clock.t += 61_000;

    expect(await client.getToken()).toBe(token);
    expect(ssm.reads).toBe(2);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/\/ha\/token.*ThrottlingException/);
    expect(warnings.join('\n')).toMatch(/Using the cached token/);
    expect(warnings.join('\n')).not.toContain(token.slice(0, -4));

    // Not on every call: the next read waits 1 s, then 2 s.
    const calls = await Promise.all(Array.from({ length: 100 }, () => client.getToken()));
    expect(new Set(calls)).toEqual(new Set([token]));
    expect(ssm.reads).toBe(2);
    clock.t += 1_001;
    await client.getToken();
    expect(ssm.reads).toBe(3);
    clock.t += 1_001;
    await client.getToken();
    expect(ssm.reads).toBe(3);
    clock.t += 1_000;
    await client.getToken();
    expect(ssm.reads).toBe(4);

    // SSM back: the next read after the backoff is trusted for the TTL again.
    ssm.error = undefined;
    clock.t += 4_001;
    await client.getToken();
    clock.t += 30_000;
    await client.getToken();
    expect(ssm.reads).toBe(5);
  });

  test('past exp minus the buffer the cached token is not used: the error reaches the caller', async () => {
    const now = Date.now();
    const { clock, ssm, client } = setup(jwt(now / 1000 + 3_600), {
      ttlMs: 60_000,
      logger: { warn() {} },
    });
    await client.getToken();
    ssm.error = Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
    clock.t = now + 3_600_000 - 299_000;
    await expect(client.getToken()).rejects.toThrow(/Could not read SSM parameter \/ha\/token/);
  });

  test('with background refresh, a failed read is retried on the timer, not dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const ssm = new FakeSsm(jwt(Date.now() / 1000 + 3_600));
      const errors: unknown[] = [];
      const client = new TokenClient({
        parameter: '/ha/token',
        ssm,
        extension: false,
        ttlMs: 10_000,
        refreshAhead: true,
        onError: (e) => errors.push(e),
        logger: { warn() {} },
      });
      const first = client.getToken();
      await vi.advanceTimersByTimeAsync(5);
      await first;
      ssm.error = new Error('socket hang up');
      await vi.advanceTimersByTimeAsync(8_005); // the refresh at 80% of the TTL fails
      expect([ssm.reads, errors.length]).toEqual([2, 1]);
      await vi.advanceTimersByTimeAsync(1_005); // retried after 1 s, fails again
      expect([ssm.reads, errors.length]).toEqual([3, 2]);
      ssm.error = undefined;
      await vi.advanceTimersByTimeAsync(2_005); // then after 2 s, and SSM answers
      expect([ssm.reads, errors.length]).toEqual([4, 2]);
      await vi.advanceTimersByTimeAsync(8_005); // back on the 80%-of-TTL schedule
      expect(ssm.reads).toBe(5);
      client.close();
    } finally {
      vi.useRealTimers();
    }
  });

  test('a rejected token never stands in', async () => {
    const { ssm, client } = outage();
    const token = await client.getToken();
    ssm.error = new Error('down');
    await expect(client.reject(token)).rejects.toThrow(/Could not read SSM/);
    await expect(client.getToken()).rejects.toThrow(/Could not read SSM/);
  });
});

describe('TokenClient.fetch', () => {
  function fakeHa(accepts: Set<string>) {
    const sent: string[] = [];
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      const token = new Headers(init.headers).get('Authorization')?.slice(7) ?? '';
      sent.push(token);
      return new Response('{}', { status: accepts.has(token) ? 200 : 401 });
    }) as typeof fetch;
    return { sent, fetchImpl };
  }

  test('a 401 drops the token, reads SSM once, retries once; the rejected token is never sent again', async () => {
    const exp = Date.now() / 1000 + 86_400;
    const [a, b] = [jwt(exp, 'a'), jwt(exp, 'b')];
    const accepts = new Set([a]);
    const ha = fakeHa(accepts);
    const { ssm, client } = setup(a, { haUrl: 'http://ha.test', fetch: ha.fetchImpl });
    expect((await client.fetch('/api/')).status).toBe(200);
    // Revoked out of band, the replacement already published.
    accepts.clear();
    accepts.add(b);
    ssm.value = b;

    const statuses = [(await client.fetch('/api/')).status, (await client.fetch('/api/')).status];

    expect(statuses).toEqual([200, 200]);
    expect(ha.sent).toEqual([a, a, b, b]);
    expect(ssm.reads).toBe(2);
  });

  test('SSM still holding the rejected token: one 401, then an error that says so, and no second try with it', async () => {
    const a = jwt(Date.now() / 1000 + 86_400, 'a');
    const ha = fakeHa(new Set());
    const { client, ssm } = setup(a, { haUrl: 'http://ha.test', fetch: ha.fetchImpl });
    await expect(client.fetch('/api/')).rejects.toThrow(TokenRejectedError);
    await expect(client.fetch('/api/')).rejects.toThrow(
      /rejected the token in SSM parameter \/ha\/token/,
    );
    expect(ha.sent).toEqual([a]);
    expect(ssm.reads).toBe(2);
  });
});

describe('the Parameters and Secrets Lambda Extension', () => {
  test('is read when configured, with the session token; a re-read after a 401 goes to SSM itself', async () => {
    const exp = Date.now() / 1000 + 86_400;
    const [a, b] = [jwt(exp, 'a'), jwt(exp, 'b')];
    const seen: { url: string; auth: string }[] = [];
    const extension = createServer((req, res) => {
      seen.push({
        url: req.url ?? '',
        auth: String(req.headers['x-aws-parameters-secrets-token']),
      });
      res.end(JSON.stringify({ Parameter: { Value: a, Version: 1 } }));
    });
    await new Promise<void>((r) => extension.listen(0, '127.0.0.1', r));
    const port = (extension.address() as AddressInfo).port;
    const ssm = new FakeSsm(b);
    const client = new TokenClient({
      parameter: '/ha/token',
      ssm,
      env: { PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port), AWS_SESSION_TOKEN: 'session' },
    });
    try {
      expect(await client.getToken()).toBe(a);
      expect(seen).toEqual([
        {
          url: '/systemsmanager/parameters/get?name=%2Fha%2Ftoken&withDecryption=true',
          auth: 'session',
        },
      ]);
      expect(ssm.reads).toBe(0);
      expect(await client.reject(a)).toBe(b);
      expect(ssm.reads).toBe(1);
    } finally {
      extension.close();
    }
  });

  test("after a revocation, the extension's cached dead token is passed over for SSM's new one", async () => {
    const exp = Date.now() / 1000 + 86_400;
    const [a, b] = [jwt(exp, 'a'), jwt(exp, 'b')];
    // The extension keeps answering with the token it cached (it doesn't detect changes).
    const extension = createServer((_req, res) => {
      res.end(JSON.stringify({ Parameter: { Value: a, Version: 1 } }));
    });
    await new Promise<void>((r) => extension.listen(0, '127.0.0.1', r));
    const port = (extension.address() as AddressInfo).port;
    const clock = { t: Date.now(), now: () => clock.t };
    const ssm = new FakeSsm(a);
    const client = new TokenClient({ parameter: '/ha/token', ssm, clock, extension: { port } });
    try {
      expect(await client.getToken()).toBe(a);
      // Rejected before the add-on has published the replacement: SSM still holds it.
      await expect(client.reject(a)).rejects.toThrow(TokenRejectedError);
      ssm.value = b;
      clock.t += 1_500;
      expect(await client.getToken()).toBe(b);
      expect(await client.getToken()).toBe(b);
      expect(ssm.reads).toBe(2);
    } finally {
      extension.close();
    }
  });

  test('falls back to the SDK when nothing listens on its port', async () => {
    const { ssm, client } = setup(undefined, { extension: { port: 9 } });
    await client.getToken();
    expect(ssm.reads).toBe(1);
  });
});
