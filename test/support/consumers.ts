import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TokenClient, TokenClientError } from '../../clients/node/dist/index.js';
import { PYTHON_CLIENT_DIR, pythonClientEnv } from './python-client.js';
import { ssmClient } from './ssm.js';

export interface ConsumerOptions {
  parameter: string;
  haUrl: string;
  /** SSM endpoint (moto, or a counting proxy in front of it). */
  endpoint: string;
  ttlMs?: number;
}

export interface LoopResult {
  calls: number;
  failures: number;
  errors: unknown[];
}

/**
 * One consumer library in a form the integration tests can drive alike: the
 * Node client in this process, the Python client in a child process
 * (clients/python/tests/consumer_driver.py). Results carry token hashes only.
 */
export interface Consumer {
  readonly name: 'node' | 'python';
  /** The User-Agent its requests carry, as Home Assistant's failed-login warnings show it. */
  readonly userAgent: string;
  request(path: string): Promise<{ status?: number; error?: string }>;
  concurrent(n: number): Promise<{ distinct: string[]; errors: number }>;
  tokenHash(): Promise<string>;
  startLoop(path: string, intervalMs: number): Promise<void>;
  stopLoop(): Promise<LoopResult>;
  /** Freezes the client's clock at `epochMs` (undefined: the real clock again). */
  setClock(epochMs: number | undefined): Promise<void>;
  /** SSM reads the library made, and the 401s Home Assistant answered it. */
  stats(): Promise<{ reads: number; unauthorized: number }>;
  close(): Promise<void>;
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export async function nodeConsumer(options: ConsumerOptions): Promise<Consumer> {
  let frozen: number | undefined;
  let unauthorized = 0;
  const client = new TokenClient({
    parameter: options.parameter,
    haUrl: options.haUrl,
    ssm: ssmClient(options.endpoint),
    ttlMs: options.ttlMs ?? 300_000,
    extension: false,
    clock: { now: () => frozen ?? Date.now() },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (response.status === 401) unauthorized++;
      return response;
    },
  });
  const request = async (path: string) => {
    try {
      const response = await client.fetch(path);
      await response.body?.cancel();
      return { status: response.status };
    } catch (error) {
      if (error instanceof TokenClientError) return { error: `${error.name}: ${error.message}` };
      throw error;
    }
  };
  let loop: { running: boolean; done: Promise<void>; result: LoopResult } | undefined;
  return {
    name: 'node',
    userAgent: 'ha-token-client-node/',
    request,
    async concurrent(n) {
      const results = await Promise.allSettled(Array.from({ length: n }, () => client.getToken()));
      const distinct = new Set<string>();
      let errors = 0;
      for (const r of results)
        if (r.status === 'fulfilled') distinct.add(sha256(r.value));
        else errors++;
      return { distinct: [...distinct].sort(), errors };
    },
    tokenHash: async () => sha256(await client.getToken()),
    async startLoop(path, intervalMs) {
      const result: LoopResult = { calls: 0, failures: 0, errors: [] };
      const state = { running: true, result, done: Promise.resolve() };
      state.done = (async () => {
        while (state.running) {
          const outcome = await request(path);
          result.calls++;
          if (outcome.status !== 200) {
            result.failures++;
            if (result.errors.length < 5) result.errors.push(outcome);
          }
          await new Promise((r) => setTimeout(r, intervalMs));
        }
      })();
      loop = state;
    },
    async stopLoop() {
      if (!loop) throw new Error('no loop running');
      loop.running = false;
      await loop.done;
      return loop.result;
    },
    async setClock(epochMs) {
      frozen = epochMs;
    },
    stats: async () => ({ reads: client.reads, unauthorized }),
    async close() {
      client.close();
    },
  };
}

const DRIVER = fileURLToPath(
  new URL('../../clients/python/tests/consumer_driver.py', import.meta.url),
);

export async function pythonConsumer(
  options: ConsumerOptions,
  onOutput: (text: string) => void = () => {},
): Promise<Consumer> {
  const { python, env } = pythonClientEnv();
  const child: ChildProcessWithoutNullStreams = spawn(python, [DRIVER], {
    cwd: PYTHON_CLIENT_DIR,
    env: { ...env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onOutput(chunk.toString());
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    onOutput(line);
    waiting.shift()?.(line);
  });
  let queue = Promise.resolve<unknown>(undefined);
  // One command at a time: answers come back in order.
  const call = <T>(command: Record<string, unknown>): Promise<T> => {
    const next = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const onExit = () => reject(new Error(`the Python consumer exited: ${stderr}`));
          child.once('exit', onExit);
          waiting.push((line) => {
            child.off('exit', onExit);
            const answer = JSON.parse(line) as T & { fail?: string };
            if (answer.fail) reject(new Error(`Python consumer: ${answer.fail}\n${stderr}`));
            else resolve(answer);
          });
          child.stdin.write(`${JSON.stringify(command)}\n`);
        }),
    );
    queue = next.catch(() => undefined);
    return next;
  };
  await call({ op: 'init', ...options });
  return {
    name: 'python',
    userAgent: 'ha-token-client-python/',
    request: (path) => call({ op: 'request', path }),
    concurrent: (n) => call({ op: 'concurrent', n }),
    tokenHash: async () => (await call<{ hash: string }>({ op: 'tokenHash' })).hash,
    startLoop: async (path, intervalMs) => {
      await call({ op: 'startLoop', path, intervalMs });
    },
    stopLoop: () => call({ op: 'stopLoop' }),
    setClock: async (epochMs) => {
      await call({ op: 'setClock', epochMs: epochMs ?? null });
    },
    stats: () => call({ op: 'stats' }),
    async close() {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

export const CONSUMERS = { node: nodeConsumer, python: pythonConsumer } as const;
