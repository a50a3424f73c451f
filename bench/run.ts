// `npm run bench`: the figures docs/connection.md and README.md quote, each
// printed beside a baseline measured in the same run on the same machine. Real Home Assistant and moto;
// nothing here is asserted — the tests prove behaviour, this measures it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type Connection,
  createConnection,
  createLongLivedTokenAuth,
} from 'home-assistant-js-websocket';
import WebSocket from 'ws';
import { OptionsSource } from '../src/credentials/options-source.js';
import { createLogger } from '../src/log.js';
import { StatusModel } from '../src/status/status-model.js';
import { TokenManager } from '../src/tokens/token-manager.js';
import { Addon } from '../test/support/addon.js';
import { addonNode } from '../test/support/addon-node.js';
import { mintToken, revokeToken } from '../test/support/ha-commands.js';
import { HomeAssistant } from '../test/support/home-assistant.js';
import { Moto } from '../test/support/moto.js';
import { freePort, waitFor } from '../test/support/ports.js';
import {
  putToken,
  SsmProxy,
  ssmAddonOptions,
  ssmClient,
  TEST_AWS,
  uniqueParameter,
} from '../test/support/ssm.js';
import { fleet } from './fleet.js';
import { throughput } from './load.js';
import { fmt, rssBytes, summary, timeEach } from './stats.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const clock = { now: () => Date.now() };
const quiet = createLogger({ level: 'fatal', sink: () => {} });

async function cacheHit(token: string): Promise<void> {
  const tokens = new TokenManager({
    source: new OptionsSource(token),
    check: async () => {},
    status: new StatusModel(clock),
    log: quiet,
    clock,
    ttlMs: 3_600_000,
  });
  await tokens.current();
  const map = new Map([['token', token]]);
  const n = 200_000;
  await timeEach(() => tokens.current(), 20_000); // warm-up
  await timeEach(() => map.get('token'), 20_000);
  const hit = summary(await timeEach(() => tokens.current(), n));
  const bare = summary(await timeEach(() => map.get('token'), n));
  out(`cache-hit token read (n=${n}, awaited): median ${hit.median} ns, p99 ${hit.p99} ns`);
  out(`  baseline awaited Map.get:            median ${bare.median} ns, p99 ${bare.p99} ns`);
  out(`  ratio: median ${fmt(hit.median / bare.median, 2)}x, p99 ${fmt(hit.p99 / bare.p99, 2)}x`);
}

async function singleFlight(ha: HomeAssistant, motoUrl: string): Promise<void> {
  const proxy = await SsmProxy.start(motoUrl);
  const parameter = uniqueParameter();
  await putToken(ssmClient(motoUrl), parameter, await mintToken(ha.url, ha.adminToken));
  const { SsmSource } = await import('../src/credentials/ssm-source.js');
  const { createTokenCheck } = await import('../src/ha/rest.js');
  const tokens = new TokenManager({
    source: new SsmSource({
      client: ssmClient(proxy.url),
      parameter,
      region: TEST_AWS.region,
      log: quiet,
    }),
    check: createTokenCheck(ha.url),
    status: new StatusModel(clock),
    log: quiet,
    clock,
    ttlMs: 60_000,
  });
  const started = Date.now();
  await Promise.all(Array.from({ length: 1000 }, () => tokens.current()));
  out(
    `single-flight: 1000 concurrent cold callers -> ${proxy.getParameterCalls} GetParameter call(s) in ${Date.now() - started} ms (baseline without single-flight: 1000)`,
  );
  await proxy.close();
}

async function recovery(ha: HomeAssistant, motoUrl: string, runs = 5): Promise<Addon> {
  const moto = ssmClient(motoUrl);
  const parameter = uniqueParameter();
  let current = await mintToken(ha.url, ha.adminToken);
  await putToken(moto, parameter, current);
  const addon = await Addon.start({
    options: ssmAddonOptions(ha.url, motoUrl, parameter, { log_level: 'warning' }),
  });
  await addon.waitForStatus('connected', (s) => s.state === 'connected');
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const next = await mintToken(ha.url, ha.adminToken);
    const version = await putToken(moto, parameter, next);
    await new Promise((r) => setTimeout(r, 1100)); // past the 1 s spacing of SSM reads
    const revokedAt = performance.now();
    await revokeToken(ha.url, ha.adminToken, current);
    await addon.waitForStatus(
      're-authenticated',
      (s) => s.state === 'connected' && s.token?.version === version,
      15_000,
    );
    samples.push(performance.now() - revokedAt);
    current = next;
  }
  const s = summary(samples);
  out(
    `recovery: old token revoked in HA, new one already in SSM -> re-authenticated: median ${fmt(s.median)} ms, max ${fmt(s.max)} ms (n=${runs}; target <= 1000 ms; field reference 300 000 ms to 3 600 000 ms)`,
  );
  return addon;
}

/**
 * The baseline: home-assistant-js-websocket on its own, reconnecting on its
 * own cadence (0, 1, 2 … 5 s after the drop; lib/connection.ts _handleClose),
 * through the same restarts as the add-on.
 */
async function libraryConnection(url: string, token: string): Promise<Connection> {
  // Node 20 has no global WebSocket; the library's own createSocket uses one.
  // The permanent error listener stands in for the one the library drops after
  // auth_ok (an unhandled `ws` error would end the bench).
  class QuietWebSocket extends WebSocket {
    constructor(address: string) {
      super(address);
      this.on('error', () => {});
    }
  }
  (globalThis as { WebSocket?: unknown }).WebSocket = QuietWebSocket;
  return createConnection({ auth: createLongLivedTokenAuth(url, token) });
}

async function reconnectAfterRestart(ha: HomeAssistant, addon: Addon, runs = 3): Promise<void> {
  const library = await libraryConnection(ha.url, await mintToken(ha.url, ha.adminToken));
  let libraryReadyAt = 0;
  library.addEventListener('ready', () => {
    libraryReadyAt = performance.now();
  });
  const samples: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    await ha.stop();
    await addon.waitForStatus('disconnected', (s) => s.state === 'disconnected');
    libraryReadyAt = 0;
    const starting = ha.start();
    const acceptedAt = await waitFor(
      'HA to accept connections',
      async () =>
        // Any HTTP answer: after a restart an onboarded Core answers 404 here.
        (await fetch(`${ha.url}/api/onboarding`).catch(() => undefined)) !== undefined
          ? performance.now()
          : undefined,
      120_000,
      10,
    );
    await addon.waitForStatus('connected', (s) => s.state === 'connected', 60_000);
    samples.push(performance.now() - acceptedAt);
    await waitFor('the library to reconnect', async () => libraryReadyAt || undefined, 60_000, 10);
    baseline.push(libraryReadyAt - acceptedAt);
    await starting;
  }
  library.close();
  const s = summary(samples);
  const b = summary(baseline);
  out(
    `reconnect after an HA restart, from HA accepting connections to re-authenticated: median ${fmt(s.median)} ms, min ${fmt(s.min)}, max ${fmt(s.max)} (n=${runs}; target < 500 ms; TCP readiness probe every 200 ms)`,
  );
  out(
    `  baseline home-assistant-js-websocket alone (0,1,2..5 s cadence): median ${fmt(b.median)} ms, min ${fmt(b.min)}, max ${fmt(b.max)}`,
  );
}

async function spawnReady(
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => boolean,
) {
  const started = performance.now();
  const child = spawn(addonNode(), args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (ready(c.toString())) resolve();
    });
  });
  return { child, ms: performance.now() - started };
}

async function footprint(ha: HomeAssistant): Promise<void> {
  const token = await mintToken(ha.url, ha.adminToken);
  const bare = await spawnReady(
    ['-e', "process.stdout.write('ready\\n'); setInterval(() => {}, 1000)"],
    {},
    (l) => l.includes('ready'),
  );
  const startedAt = performance.now();
  const addon = await Addon.start({
    options: { home_assistant_url: ha.url, access_token: token, log_level: 'warning' },
  });
  await addon.waitForStatus('connected', (s) => s.state === 'connected');
  const connectedMs = performance.now() - startedAt;
  await new Promise((r) => setTimeout(r, 5000));
  const addonRss = rssBytes(addon.pid ?? 0);
  const bareRss = rssBytes(bare.child.pid ?? 0);
  out(
    `footprint: idle RSS ${fmt(addonRss / 2 ** 20)} MiB vs bare Node ${fmt(bareRss / 2 ** 20)} MiB (${fmt(addonRss / bareRss, 2)}x)`,
  );
  out(
    `  start to connected ${fmt(connectedMs, 0)} ms vs bare Node start to first output ${fmt(bare.ms, 0)} ms (${fmt(connectedMs / bare.ms, 2)}x)`,
  );
  await statusThroughput(addon);
  bare.child.kill();
  await addon.stop();
  await addon.dispose();
}

async function statusThroughput(addon: Addon): Promise<void> {
  const port = await freePort();
  const server = fileURLToPath(new URL('./bare-server.mjs', import.meta.url));
  const bare = await spawnReady([server], { PORT: String(port) }, (l) => l.includes('ready'));
  const baseline = await throughput(`http://127.0.0.1:${port}/`);
  const status = await throughput(`${addon.url}/api/status`);
  const metrics = await throughput(`${addon.url}/metrics`);
  const health = await throughput(`${addon.url}/health`);
  const ratio = (n: number) => `${fmt(n, 0)} req/s (${fmt(n / baseline, 2)}x)`;
  out(
    `throughput over loopback (16 keep-alive clients, 3 s each): bare Hono handler ${fmt(baseline, 0)} req/s`,
  );
  out(
    `  /api/status ${ratio(status)}; /metrics ${ratio(metrics)}; /health ${ratio(health)}; target >= 0.5x`,
  );
  bare.child.kill();
}

async function main(): Promise<void> {
  out(`HA Token Manager bench — node ${process.version}, ${new Date().toISOString()}`);
  const [ha, moto] = await Promise.all([HomeAssistant.create(), Moto.start()]);
  try {
    // `npm run bench -- --fleet`: the fleet figure alone.
    if (process.argv.includes('--fleet')) return await fleet(ha, moto.url, out);
    await cacheHit(await mintToken(ha.url, ha.adminToken));
    await singleFlight(ha, moto.url);
    const addon = await recovery(ha, moto.url);
    await reconnectAfterRestart(ha, addon);
    await addon.stop();
    await addon.dispose();
    await footprint(ha);
    await fleet(ha, moto.url, out);
    await (await import('./clients.js')).clientsBench(out);
  } finally {
    await Promise.all([ha.dispose(), moto.stop()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
