// `npm run demo`: the add-on end to end against a throwaway real Home
// Assistant, with its token in SSM (moto) by default: token in SSM →
// connected → type `r` + Enter to rotate (new token into SSM, old one
// revoked in HA) → picked up. `DEMO_SOURCE=options npm run demo` uses the
// Options-tab source instead. Ctrl-C cleans up.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { addonNode, addonNodeVersion } from '../test/support/addon-node.js';
import { mintToken, revokeToken } from '../test/support/ha-commands.js';
import { HomeAssistant } from '../test/support/home-assistant.js';
import { Moto } from '../test/support/moto.js';
import { freePort, waitFor } from '../test/support/ports.js';
import { putToken, ssmClient, TEST_AWS } from '../test/support/ssm.js';
import { startConsumer } from './demo-consumer.js';

const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);
const PARAMETER = '/home-assistant/token';

async function main(): Promise<void> {
  const useSsm = (process.env.DEMO_SOURCE ?? 'ssm') === 'ssm';
  say(
    'starting a throwaway Home Assistant and the moto SSM emulator (the first run installs them)…',
  );
  const [ha, moto] = await Promise.all([HomeAssistant.create(), useSsm ? Moto.start() : undefined]);
  say(
    `Home Assistant ${ha.version} is running at ${ha.url} (owner: owner / owner-password-for-tests)`,
  );
  let current = await mintToken(ha.url, ha.adminToken, 30);
  const ssm = moto ? ssmClient(moto.url) : undefined;
  if (ssm && moto) {
    const version = await putToken(ssm, PARAMETER, current);
    say(
      `stored a long-lived token in SSM parameter ${PARAMETER} (SecureString, version ${version}) on ${moto.url}`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'htm-demo-'));
  const optionsFile = join(dir, 'options.json');
  const options = moto
    ? {
        home_assistant_url: ha.url,
        token_source: 'ssm',
        ssm_parameter: PARAMETER,
        aws_region: TEST_AWS.region,
        aws_access_key_id: TEST_AWS.accessKeyId,
        aws_secret_access_key: TEST_AWS.secretAccessKey,
        ssm_endpoint: moto.url,
        refresh_schedule: '*/30 * * * * *',
        rotation_grace_minutes: 2,
      }
    : { home_assistant_url: ha.url, token_source: 'options', access_token: current };
  await writeFile(optionsFile, JSON.stringify(options, null, 2), { mode: 0o600 });
  const port = Number(process.env.PORT ?? (await freePort()));
  const addon = spawn(addonNode(), [fileURLToPath(new URL('../dist/main.js', import.meta.url))], {
    env: {
      ...process.env,
      OPTIONS_FILE: optionsFile,
      DATA_DIR: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the add-on', async () => (await fetch(`${base}/health`)).ok);
  say(`add-on running on Node ${addonNodeVersion()} with options from ${optionsFile}`);
  say(
    `status: ${base}/api/status   health: ${base}/health   refresh now: curl -X POST ${base}/api/refresh`,
  );
  if (ssm) {
    say(
      'type r + Enter to rotate by hand: a new token goes into SSM and the old one is revoked in Home Assistant',
    );
    say(
      'type R + Enter to let the add-on rotate: it mints, publishes, switches, and revokes the old token later',
    );
  }
  // A consumer library's example beside the add-on (TTL 60 s, below the 2-minute grace period).
  const consumer =
    moto && process.env.DEMO_CONSUMER
      ? startConsumer(process.env.DEMO_CONSUMER, {
          haUrl: ha.url,
          parameter: PARAMETER,
          ssmEndpoint: moto.url,
          ttlSeconds: 60,
        })
      : undefined;
  say('press Ctrl-C to stop everything');

  const lines = createInterface({ input: process.stdin });
  lines.on('line', async (line) => {
    if (line.trim() === 'R' && ssm) {
      say('asking the add-on to rotate (POST /api/rotate)…');
      const outcome = (await (await fetch(`${base}/api/rotate`, { method: 'POST' })).json()) as {
        message: string;
      };
      say(`rotation: ${outcome.message}`);
      return;
    }
    if (line.trim() !== 'r' || !ssm) return;
    const next = await mintToken(ha.url, ha.adminToken, 30);
    const version = await putToken(ssm, PARAMETER, next);
    const rotatedAt = Date.now();
    await revokeToken(ha.url, ha.adminToken, current);
    current = next;
    say(`rotated: SSM version ${version}, old token revoked; waiting for the add-on…`);
    const status = await waitFor('the new token', async () => {
      const s = (await (await fetch(`${base}/api/status`)).json()) as {
        state: string;
        token?: { version?: number };
      };
      return s.state === 'connected' && s.token?.version === version ? s : undefined;
    });
    say(
      `picked up in ${Date.now() - rotatedAt} ms: ${status.state}, version ${status.token?.version}`,
    );
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    lines.close();
    consumer?.kill('SIGTERM');
    addon.kill('SIGTERM');
    await new Promise((resolve) => addon.once('exit', resolve));
    await Promise.all([ha.dispose(), moto?.stop()]);
    await rm(dir, { recursive: true, force: true });
    say('done');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  addon.once('exit', (code) => {
    if (!stopping) {
      say(`the add-on exited (${code}); stopping`);
      void stop();
    }
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[demo] failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
