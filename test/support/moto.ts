import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';
import { pythonEnv } from './python-env.js';

/**
 * moto in server mode on a free loopback port: the real SSM wire protocol
 * (JSON 1.1), parameter versions, SecureString with its default KMS key.
 */
export class Moto {
  readonly url: string;
  readonly #process: ChildProcess;

  private constructor(url: string, process: ChildProcess) {
    this.url = url;
    this.#process = process;
  }

  static async start(): Promise<Moto> {
    const venv = pythonEnv();
    const port = await freePort();
    const child = spawn(join(venv, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor('moto to answer', async () => {
      if (child.exitCode !== null) throw new Error(`moto exited: ${stderr}`);
      return (await fetch(`${url}/moto-api/`)).status > 0;
    });
    return new Moto(url, child);
  }

  async stop(): Promise<void> {
    if (this.#process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.#process.once('exit', resolve));
    this.#process.kill('SIGTERM');
    await exited;
  }
}
