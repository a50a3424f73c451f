import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './ports.js';

const script = fileURLToPath(new URL('../../scripts/mosquitto.sh', import.meta.url));

/** What the Supervisor hands an add-on for its `mqtt` service (supervisor/services/modules/mqtt.py). */
export interface MqttBroker {
  host: string;
  port: number;
  username: string;
  password: string;
}

/**
 * Debian's mosquitto on a free loopback port, with password authentication
 * the way the Mosquitto add-on runs it: anonymous clients are refused, so a
 * client that did not use the credentials handed out cannot publish.
 */
export class Mosquitto {
  readonly broker: MqttBroker;
  readonly #process: ChildProcess;
  readonly #dir: string;

  private constructor(broker: MqttBroker, process: ChildProcess, dir: string) {
    this.broker = broker;
    this.#process = process;
    this.#dir = dir;
  }

  static async start(): Promise<Mosquitto> {
    const executable =
      execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop() ?? 'mosquitto';
    const dir = await mkdtemp(join(tmpdir(), 'htm-mosquitto-'));
    const port = await freePort();
    const broker: MqttBroker = {
      host: '127.0.0.1',
      port,
      username: 'addons',
      password: randomBytes(12).toString('hex'),
    };
    const passwords = join(dir, 'passwords');
    execFileSync('mosquitto_passwd', ['-b', '-c', passwords, broker.username, broker.password], {
      stdio: 'ignore',
    });
    const config = [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwords}`,
      'persistence false',
      // Started as root (CI), mosquitto would switch to its own user and lose the files above.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'log_dest stderr',
      'log_type error',
      'log_type warning',
    ].join('\n');
    await writeFile(join(dir, 'mosquitto.conf'), `${config}\n`, { mode: 0o600 });
    const child = spawn(executable, ['-c', join(dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    await waitFor('mosquitto to listen', async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
      return new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
    });
    return new Mosquitto(broker, child, dir);
  }

  async stop(): Promise<void> {
    if (this.#process.exitCode === null) {
      const exited = new Promise((resolve) => this.#process.once('exit', resolve));
      this.#process.kill('SIGTERM');
      await exited;
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}
