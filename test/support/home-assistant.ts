import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haCommand } from './ha-commands.js';
import { freePort, waitFor } from './ports.js';
import { pythonEnv } from './python-env.js';

const FAILED_LOGIN = 'Login attempt or request with invalid authentication';

export interface HomeAssistantInfo {
  url: string;
  /** A long-lived token of the onboarded owner, for the harness's own commands. */
  adminToken: string;
  configDir: string;
}

/**
 * A real Home Assistant Core on a free loopback port, in a throwaway config
 * directory: installed (cached), started, onboarded, with an owner token.
 * Started once per test run; tests stop and start it to provoke restarts.
 */
export class HomeAssistant implements HomeAssistantInfo {
  readonly url: string;
  readonly configDir: string;
  adminToken = '';
  readonly #python: string;
  #process: ChildProcess | undefined;
  #output: string[] = [];

  private constructor(python: string, configDir: string, port: number) {
    this.#python = python;
    this.configDir = configDir;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(): Promise<HomeAssistant> {
    const venv = pythonEnv();
    const configDir = await mkdtemp(join(tmpdir(), 'htm-ha-'));
    const port = await freePort();
    // Written before the first start, else Core writes one with default_config
    // (which pulls in integrations that reach the internet).
    await writeFile(
      join(configDir, 'configuration.yaml'),
      [
        'homeassistant:',
        '  name: HA Token Manager tests',
        '  time_zone: UTC',
        'http:',
        '  server_host: 127.0.0.1',
        `  server_port: ${port}`,
        'logger:',
        '  default: warning',
        '',
      ].join('\n'),
    );
    const ha = new HomeAssistant(join(venv, 'bin', 'python'), configDir, port);
    await ha.start();
    await ha.#onboard();
    return ha;
  }

  /** Starts Core and waits until it is RUNNING. Returns the milliseconds it took. */
  async start(): Promise<number> {
    const started = Date.now();
    this.#process = spawn(
      this.#python,
      ['-m', 'homeassistant', '--config', this.configDir, '--skip-pip'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
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
        return response.ok;
      },
      120_000,
      200,
    );
    if (this.adminToken) {
      await waitFor('Home Assistant to be RUNNING', async () => {
        const response = await fetch(`${this.url}/api/config`, {
          headers: { Authorization: `Bearer ${this.adminToken}` },
        });
        return response.ok && ((await response.json()) as { state?: string }).state === 'RUNNING';
      });
    }
    return Date.now() - started;
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
    return { url: this.url, adminToken: this.adminToken, configDir: this.configDir };
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
