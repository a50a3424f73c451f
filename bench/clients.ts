// The consumer libraries' figures for `npm run bench` (clients/node, clients/python):
// cache-hit getToken() beside a bare Map/dict lookup in the same run, and SSM
// reads per simulated hour for one consumer at steady state (fake clock, fake
// SSM and Home Assistant: these count reads, the integration tests prove behaviour).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GetParameterCommandOutput } from '@aws-sdk/client-ssm';
import { TokenClient } from '../clients/node/dist/index.js';
import { pythonClientEnv } from '../test/support/python-client.js';
import { fmt } from './stats.js';

const HOUR = 3_600_000;

function jwt(expSeconds: number, id: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ iss: id, exp: expSeconds })}.sig-${id}`;
}

/** Nanoseconds per awaited call: the median of `rounds` batches of `n`. */
async function nsPerOp(op: () => unknown, n = 1_000_000, rounds = 5): Promise<number> {
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op();
    results.push(Number(process.hrtime.bigint() - start) / n);
  }
  return results.sort((a, b) => a - b)[Math.floor(rounds / 2)] as number;
}

async function nodeCacheHit(out: (line: string) => void): Promise<void> {
  const token = jwt(Date.now() / 1000 + 86_400, 'a');
  const ssm = {
    send: async (): Promise<GetParameterCommandOutput> => ({
      Parameter: { Value: token, Version: 1 },
      $metadata: {},
    }),
  };
  const client = new TokenClient({ parameter: '/bench', ssm, extension: false });
  await client.getToken();
  const map = new Map([['token', token]]);
  await nsPerOp(() => client.getToken(), 200_000, 1); // warm-up
  await nsPerOp(() => map.get('token'), 200_000, 1);
  const hit = await nsPerOp(() => client.getToken());
  const bare = await nsPerOp(() => map.get('token'));
  out(
    `client (node) cache-hit getToken(), awaited: ${fmt(hit)} ns/call vs awaited Map.get ${fmt(bare)} ns/call (${fmt(hit / bare, 2)}x; goal <= 2x)`,
  );
}

/**
 * One consumer calling Home Assistant every 100 ms for an hour of fake time,
 * TTL 300 s: a rotation at 21 min (old token revoked at 31 min, the grace
 * period) and an out-of-band revocation at 42 min with the new token in SSM —
 * off the 5-minute grid of TTL reads, so the 401 path is taken.
 */
async function nodeReadsPerHour(out: (line: string) => void): Promise<void> {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const exp = now / 1000 + 365 * 86_400;
  const [a, b, c] = [jwt(exp, 'a'), jwt(exp, 'b'), jwt(exp, 'c')];
  let published = a;
  let reads = 0;
  let unauthorized = 0;
  const accepted = new Set([a]);
  const ssm = {
    send: async (): Promise<GetParameterCommandOutput> => {
      reads++;
      return { Parameter: { Value: published, Version: 1 }, $metadata: {} };
    },
  };
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    const token = new Headers(init.headers).get('Authorization')?.slice(7) ?? '';
    if (accepted.has(token)) return new Response(null, { status: 200 });
    unauthorized++;
    return new Response(null, { status: 401 });
  }) as typeof fetch;
  const client = new TokenClient({
    parameter: '/bench',
    haUrl: 'http://ha.invalid',
    ssm,
    extension: false,
    ttlMs: 300_000,
    clock: { now: () => now },
    fetch: fetchImpl,
  });
  const start = now;
  let failures = 0;
  for (let t = 0; t < HOUR; t += 100) {
    now = start + t;
    if (t === 21 * 60_000) {
      published = b; // the add-on rotates: publishes b, a stays valid through the grace period
      accepted.add(b);
    }
    if (t === 31 * 60_000) accepted.delete(a);
    if (t === 42 * 60_000) {
      published = c; // out of band: c published, b deleted in Home Assistant
      accepted.add(c);
      accepted.delete(b);
    }
    const response = await client.fetch('/api/');
    if (response.status !== 200) failures++;
  }
  out(
    `client (node) SSM reads in one simulated hour, TTL 300 s, a call every 100 ms, one rotation and one out-of-band revocation: ${reads} (goal <= 3600/300 + 2 = 14); failed calls ${failures}, 401s ${unauthorized}`,
  );
}

function python(out: (line: string) => void): void {
  const { python: bin, env } = pythonClientEnv();
  const script = fileURLToPath(
    new URL('../clients/python/benchmarks/bench_client.py', import.meta.url),
  );
  const run = spawnSync(bin, [script], { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the Python client bench failed: ${run.stderr}`);
  for (const line of run.stdout.trim().split('\n')) out(line);
}

export async function clientsBench(out: (line: string) => void): Promise<void> {
  await nodeCacheHit(out);
  await nodeReadsPerHour(out);
  python(out);
}
