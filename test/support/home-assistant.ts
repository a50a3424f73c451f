import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { haCommand } from './ha-commands.js';
import {
  type HttpConfigState,
  writeConfiguration,
  writeHttpStore,
  writeOnboardingStore,
} from './ha-config.js';
import { freePort, waitFor } from './ports.js';
import { haRoot, pythonEnv } from './python-env.js';

const FAILED_LOGIN = 'Login attempt or request with invalid authentication';

export interface HomeAssistantInfo {
  url: string;
  /** A long-lived token of the onboarded owner, for the harness's own commands. */
  adminToken: string;
  configDir: string;
  /** The release that answered, e.g. `2026.11.0`. */
  version: string;
}

/**
 * `current`: Home Assistant 2026.11.0, what users run, in a Debian root
 * (scripts/ha-root.sh). `compat`: 2024.3.3, the oldest release the add-on
 * supports, in a virtualenv (scripts/python-env.sh).
 */
export type HaRelease = 'current' | 'compat';

/**
 * A real Home Assistant Core on a free loopback port, in a throwaway config
 * directory: installed (cached), started, onboarded, with an owner token.
 * Started once per test run; tests stop and start it to provoke restarts.
 */
export class HomeAssistant implements HomeAssistantInfo {
  readonly url: string;
  readonly configDir: string;
  adminToken = '';
  /** The release that answered, e.g. `2026.11.0` (from /api/config). */
  version = '';
  readonly #command: string[];
  #process: ChildProcess | undefined;
  #output: string[] = [];

  private constructor(command: string[], configDir: string, port: number) {
    this.#command = command;
    this.configDir = configDir;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(release: HaRelease = 'current'): Promise<HomeAssistant> {
    const port = await freePort();
    if (release === 'compat') {
      const venv = pythonEnv();
      const configDir = await mkdtemp(join(tmpdir(), 'htm-ha-'));
      // 2024.3 reads its HTTP settings from YAML only.
      await writeConfiguration(configDir, [
        'http:',
        '  server_host: 127.0.0.1',
        `  server_port: ${port}`,
      ]);
      const command = [join(venv, 'bin', 'python'), '-m', 'homeassistant', '--config', configDir];
      return HomeAssistant.#started(new HomeAssistant(command, configDir, port), release);
    }
    // Core runs chrooted into the Debian root: its config directory lives
    // there too, and the tests read its log from the host side.
    const root = haRoot();
    const configDir = await mkdtemp(join(root, 'tmp', 'htm-ha-'));
    const inside = `/${relative(root, configDir)}`;
    await writeConfiguration(configDir, []);
    await writeHttpStore(configDir, port);
    await writeOnboardingStore(configDir);
    const command = [
      'chroot',
      root,
      'env',
      '-i',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      'HOME=/root',
      'LANG=C.UTF-8',
      'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
      'UV_NATIVE_TLS=1',
      '/opt/homeassistant/bin/python',
      '-m',
      'homeassistant',
      '--config',
      inside,
    ];
    return HomeAssistant.#started(new HomeAssistant(command, configDir, port), release);
  }

  static async #started(ha: HomeAssistant, release: HaRelease): Promise<HomeAssistant> {
    await ha.start();
    await ha.#onboard();
    await ha.#waitRunning();
    if (release === 'current') await ha.#settleHttpConfig();
    const config = await (
      await fetch(`${ha.url}/api/config`, {
        headers: { Authorization: `Bearer ${ha.adminToken}` },
      })
    ).json();
    ha.version = (config as { version: string }).version;
    return ha;
  }

  /** Starts Core and waits until it is RUNNING. Returns the milliseconds it took. */
  async start(): Promise<number> {
    const started = Date.now();
    const [command, ...args] = this.#command as [string, ...string[]];
    // The install scripts did Core's first start (which installs the default
    // integrations' requirements); from here on nothing is installed.
    this.#process = spawn(command, [...args, '--skip-pip'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.#output.push(chunk.toString());
      if (this.#output.length > 200) this.#output.shift();
    };
    this.#process.stdout?.on('data', keep);
    this.#process.stderr?.on('data', keep);
    const proc = this.#process;
    await waitFor(
      'Home Assistant to answer GET /api/onboarding',
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`Home Assistant exited: ${this.#output.join('').slice(-2000)}`);
        const response = await fetch(`${this.url}/api/onboarding`);
        // Once onboarded, Core no longer registers the onboarding views (404): HTTP is up all the same.
        return response.ok || (this.adminToken !== '' && response.status === 404);
      },
      120_000,
      200,
    );
    if (this.adminToken) await this.#waitRunning();
    return Date.now() - started;
  }

  /** `/api/onboarding` answers while integrations still load; RUNNING is when Core is done. */
  async #waitRunning(): Promise<void> {
    await waitFor('Home Assistant to be RUNNING', async () => {
      const response = await fetch(`${this.url}/api/config`, {
        headers: { Authorization: `Bearer ${this.adminToken}` },
      });
      return response.ok && ((await response.json()) as { state?: string }).state === 'RUNNING';
    });
  }

  /** Stops Core the way the Supervisor would (SIGTERM) and waits for it to exit. */
  async stop(): Promise<void> {
    const proc = this.#process;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    this.#process = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.configDir, { recursive: true, force: true });
  }

  /** Every failed login Core has recorded (components/http/ban.py process_wrong_login). */
  async failedLogins(): Promise<string[]> {
    const log = await readFile(join(this.configDir, 'home-assistant.log'), 'utf8').catch(() => '');
    return log.split('\n').filter((line) => line.includes(FAILED_LOGIN));
  }

  info(): HomeAssistantInfo {
    return {
      url: this.url,
      adminToken: this.adminToken,
      configDir: this.configDir,
      version: this.version,
    };
  }

  /**
   * The HTTP settings must be Core's *stable* config: a pending one is a
   * trial that Core reverts after 5 minutes by exiting (code 100) and coming
   * back on 0.0.0.0:8123, in the middle of the run. `writeHttpStore` avoids
   * the trial; should a release stage one anyway, confirm it the way the
   * user would (components/http/websocket_api.py: http/config,
   * http/config/promote, both admin only).
   */
  async #settleHttpConfig(): Promise<void> {
    const config = await haCommand<HttpConfigState>(this.url, this.adminToken, {
      type: 'http/config',
    });
    if (config.pending && !config.pending.error) {
      await haCommand(this.url, this.adminToken, { type: 'http/config/promote' });
      process.stderr.write('[ha] confirmed the pending HTTP config (http/config/promote)\n');
      return;
    }
    if (config.active_config_type !== 'stable')
      throw new Error(`Home Assistant serves its ${config.active_config_type} HTTP config`);
  }

  /** components/onboarding/views.py: create the owner, exchange the auth code, mint a token. */
  async #onboard(): Promise<void> {
    const clientId = `${this.url}/`;
    const user = await fetch(`${this.url}/api/onboarding/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        client_id: clientId,
        name: 'Test Owner',
        username: 'owner',
        password: 'owner-password-for-tests',
        language: 'en',
      }),
    });
    if (!user.ok) throw new Error(`onboarding failed: ${user.status} ${await user.text()}`);
    const { auth_code } = (await user.json()) as { auth_code: string };
    const tokens = await fetch(`${this.url}/auth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: auth_code,
        client_id: clientId,
      }),
    });
    if (!tokens.ok) throw new Error(`token exchange failed: ${tokens.status}`);
    const { access_token } = (await tokens.json()) as { access_token: string };
    // The access token lives 30 minutes; the harness keeps a long-lived one.
    this.adminToken = await haCommand<string>(this.url, access_token, {
      type: 'auth/long_lived_access_token',
      client_name: 'test-harness',
      lifespan: 30,
    });
  }
}
