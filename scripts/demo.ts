// `npm run demo`: the add-on end to end against a throwaway real Home
// Assistant. Starts Core (installing it on first use), onboards an owner,
// mints a long-lived token, writes an options file into a temp dir, runs the
// built add-on against it and prints where to look. Ctrl-C cleans up.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../test/support/ha-commands.js';
import { HomeAssistant } from '../test/support/home-assistant.js';
import { freePort, waitFor } from '../test/support/ports.js';

const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);

async function main(): Promise<void> {
  say('starting a throwaway Home Assistant (the first run installs it; later runs reuse it)…');
  const ha = await HomeAssistant.create();
  say(`Home Assistant is running at ${ha.url} (owner: owner / owner-password-for-tests)`);
  const token = await mintToken(ha.url, ha.adminToken, 30);
  const dir = await mkdtemp(join(tmpdir(), 'htm-demo-'));
  const optionsFile = join(dir, 'options.json');
  await writeFile(
    optionsFile,
    JSON.stringify(
      {
        home_assistant_url: ha.url,
        token_source: 'options',
        access_token: token,
        log_level: 'info',
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
  const port = Number(process.env.PORT ?? (await freePort()));
  const addon = spawn(
    process.execPath,
    [fileURLToPath(new URL('../dist/main.js', import.meta.url))],
    {
      env: {
        ...process.env,
        OPTIONS_FILE: optionsFile,
        DATA_DIR: dir,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const statusUrl = `http://127.0.0.1:${port}/api/status`;
  await waitFor('the add-on', async () => (await fetch(statusUrl)).ok);
  say(`add-on running with options from ${optionsFile}`);
  say(`status: ${statusUrl}   health: http://127.0.0.1:${port}/health`);
  say('press Ctrl-C to stop everything');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    addon.kill('SIGTERM');
    await new Promise((resolve) => addon.once('exit', resolve));
    await ha.dispose();
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
