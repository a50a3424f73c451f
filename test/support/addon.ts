import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusSnapshot } from '../../src/status/status-model.js';
import { addonNode, addonNodeVersion } from './addon-node.js';
import { freePort, waitFor } from './ports.js';

/** A loopback address where nothing listens: the Supervisor for tests that have no stand-in. */
export const NO_SUPERVISOR = 'http://127.0.0.1:1';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface AddonOptions {
  /** Written to options.json as is; a string is written verbatim (for broken files). */
  options?: Record<string, unknown> | string;
  /** Skip writing options.json (the "missing file" case). */
  noOptionsFile?: boolean;
  env?: Record<string, string>;
  /** A fixed port, e.g. to restart the add-on where a page expects it. */
  port?: number;
  /** Reuse this directory (options file and data) instead of a new one. */
  dir?: string;
}

/**
 * The built add-on (dist/main.js) run as its own process, the way run.sh runs
 * it, on a free loopback port. Everything it prints and every body read
 * through it is kept, so tests can search it for secrets.
 */
export class Addon {
  readonly url: string;
  readonly dir: string;
  readonly #process: ChildProcess;
  #output = '';
  readonly #bodies: string[] = [];
  #exit: Promise<number | null>;

  readonly port: number;

  private constructor(process: ChildProcess, url: string, dir: string, port: number) {
    this.port = port;
    this.base = url;
    this.#process = process;
    this.url = url;
    this.dir = dir;
    process.stdout?.on('data', (c: Buffer) => {
      this.#output += c.toString();
    });
    process.stderr?.on('data', (c: Buffer) => {
      this.#output += c.toString();
    });
    this.#exit = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  static async start(o: AddonOptions = {}): Promise<Addon> {
    const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'htm-addon-')));
    const optionsFile = join(dir, 'options.json');
    if (!o.noOptionsFile && !o.dir) {
      await writeFile(
        optionsFile,
        typeof o.options === 'string' ? o.options : JSON.stringify(o.options ?? {}),
      );
    }
    const port = o.port ?? (await freePort());
    // Node 24, as in the add-on image, whatever Node runs the tests.
    const child = spawn(addonNode(), [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        OPTIONS_FILE: optionsFile,
        DATA_DIR: dir,
        PORT: String(port),
        HOST: '127.0.0.1',
        ...o.env,
        // With a SUPERVISOR_TOKEN the add-on talks to the Supervisor, by default at
        // http://supervisor — never from a test (loopback only): a test that gives no
        // stand-in gets a loopback address where nothing listens.
        ...(o.env?.SUPERVISOR_TOKEN && !o.env.SUPERVISOR_URL
          ? { SUPERVISOR_URL: NO_SUPERVISOR }
          : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const addon = new Addon(child, `http://127.0.0.1:${port}`, dir, port);
    process.stderr.write(`[addon] dist/main.js on Node ${addonNodeVersion()} (pid ${child.pid})\n`);
    await waitFor('the add-on to listen', () => addon.get('/health').then((r) => r.status > 0));
    return addon;
  }

  /** Resolves with the exit code once the process has ended (e.g. killed by a failpoint). */
  get exited(): Promise<number | null> {
    return this.#exit;
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get output(): string {
    return this.#output;
  }

  /** Every response body read through `get`/`status`. */
  get bodies(): readonly string[] {
    return this.#bodies;
  }

  /** Where `get` sends requests: the add-on itself, or an ingress proxy's prefix in front of it. */
  base: string;

  async get(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: string; headers: Headers }> {
    const response = await fetch(`${this.base}${path}`, init);
    const body = await response.text();
    this.#bodies.push(body);
    return { status: response.status, body, headers: response.headers };
  }

  async status(): Promise<StatusSnapshot> {
    return JSON.parse((await this.get('/api/status')).body) as StatusSnapshot;
  }

  /** Polls /api/status until `predicate` holds; returns that snapshot. */
  waitForStatus(
    what: string,
    predicate: (s: StatusSnapshot) => boolean,
    timeoutMs = 30_000,
  ): Promise<StatusSnapshot> {
    return waitFor(
      what,
      async () => {
        const s = await this.status();
        return predicate(s) ? s : undefined;
      },
      timeoutMs,
      50,
    ).catch(async (error) => {
      throw new Error(
        `${(error as Error).message}; last status: ${JSON.stringify(await this.status())}`,
      );
    });
  }

  /** SIGTERM, as the Supervisor stops add-ons; resolves with the exit code and how long it took. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    if (this.#process.exitCode === null) this.#process.kill(signal);
    const code = await this.#exit;
    return { code, ms: Date.now() - started };
  }

  async dispose(): Promise<void> {
    if (this.#process.exitCode === null) this.#process.kill('SIGKILL');
    await this.#exit;
    await rm(this.dir, { recursive: true, force: true });
  }
}
