import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { NO_SUPERVISOR } from '../support/addon.js';
import { addonNode } from '../support/addon-node.js';
import { useAddons } from '../support/addon-session.js';
import { freePort, waitFor } from '../support/ports.js';
import { sharedHa } from '../support/shared-ha.js';
import { supervisorOptions } from '../support/supervisor-options.js';

// What can be checked of the add-on's packaging on a machine without a
// Docker engine: the Supervisor's view of the repository and the options,
// the start command, the shell scripts, and the image's build steps.
const root = fileURLToPath(new URL('../..', import.meta.url));
const ha = sharedHa();
const addons = useAddons();
const config = parse(readFileSync(join(root, 'config.yaml'), 'utf8')) as {
  options: Record<string, unknown>;
  schema: Record<string, string>;
};
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
}

/** run.sh's command, with the image's /app standing for the given directory. */
function runShCommand(appDir: string): string[] {
  const line = readFileSync(join(root, 'run.sh'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('exec '));
  expect(line, 'run.sh execs the program').toBeDefined();
  const [command, ...args] = (line as string).slice('exec '.length).trim().split(/\s+/);
  expect(command).toBe('node');
  return args.map((a) => a.replace(/^\/app\//, `${appDir}/`));
}

/** GET from a chosen loopback address, as the ingress proxy or a process in the container would. */
function getFrom(
  localAddress: string,
  port: number,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts the program as run.sh does, under the Supervisor's environment. The
 * ingress proxy (172.30.32.2 in production) is played by `ingressPeer`, a
 * loopback address of its own, so 127.0.0.1 stands for a process inside the
 * container, such as Docker's HEALTHCHECK.
 */
async function startLikeRunSh(
  appDir: string,
  options: Record<string, unknown>,
  ingressPeer = '127.0.0.1',
) {
  const dir = mkdtempSync(join(tmpdir(), 'htm-supervised-'));
  temps.push(dir);
  writeFileSync(join(dir, 'options.json'), JSON.stringify(options));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(addonNode(), runShCommand(appDir), {
    env: {
      PATH: process.env.PATH ?? '',
      SUPERVISOR_TOKEN: addons.secret('supervisor-token-for-packaging-test'),
      // Never the real default (http://supervisor) from a test: nothing listens here.
      SUPERVISOR_URL: NO_SUPERVISOR,
      OPTIONS_FILE: join(dir, 'options.json'),
      DATA_DIR: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      INGRESS_PEER: ingressPeer,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (c: Buffer) => {
    output += c.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const health = await waitFor('/health', async () => {
    const r = await getFrom(ingressPeer, port, '/health');
    return r.status === 200 ? r : undefined;
  });
  const ms = performance.now() - started;
  const bodies: string[] = [];
  const status = await waitFor('connected', async () => {
    const { body } = await getFrom(ingressPeer, port, '/api/status');
    bodies.push(body);
    const s = JSON.parse(body) as { state: string };
    return s.state === 'connected' ? s : undefined;
  });
  const stop = async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const code = await exited;
    addons.record(output, ...bodies);
    return code;
  };
  return { port, health, ms, status, output: () => output, stop };
}

/** The Dockerfile's HEALTHCHECK command (exec form), aimed at the given port. */
function healthcheckCommand(port: number): string[] {
  const line = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .find((l) => l.startsWith('HEALTHCHECK '));
  expect(line, 'the Dockerfile has a HEALTHCHECK').toBeDefined();
  const command = JSON.parse((line as string).replace(/^.*? CMD /, '')) as string[];
  return command.map((arg) =>
    arg.replace(/^http:\/\/127\.0\.0\.1:\d+\//, `http://127.0.0.1:${port}/`),
  );
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

describe('as the Supervisor sees it', () => {
  test('the repository holds exactly one add-on (config.*) and no build file (deprecated since Supervisor 2026.04)', () => {
    const files = trackedFiles().filter(
      (f) => !f.split('/').some((part) => part.startsWith('.') || part === 'rootfs'),
    );
    const base = (f: string) => f.split('/').pop() ?? '';

    expect(files.filter((f) => /^config\.(ya?ml|json)$/.test(base(f)))).toEqual(['config.yaml']);
    expect(files.filter((f) => /^build\.(ya?ml|json)$/.test(base(f)))).toEqual([]);
    expect(files).toContain('apparmor.txt');
    expect(files).toContain('repository.yaml');
    expect(parse(readFileSync(join(root, 'repository.yaml'), 'utf8'))).toMatchObject({
      name: expect.any(String),
    });
  });

  test('options validated the Supervisor way start the program as run.sh does: /health answers', async () => {
    const token = addons.secret(await ha.mint());
    const { options, errors } = supervisorOptions(config.schema, config.options, {
      home_assistant_url: ha.url,
      access_token: token,
    });
    expect(errors).toEqual([]);

    const run = await startLikeRunSh(root, options);
    const code = await run.stop();

    expect(run.health.status).toBe(200);
    expect(run.status.state).toBe('connected');
    expect(code).toBe(0);
    expect(run.output()).not.toContain(token);
    process.stdout.write(`[packaging] start to /health: ${run.ms.toFixed(0)} ms\n`);
  });

  test("the image's HEALTHCHECK passes from inside the container, which may reach nothing else", async () => {
    const token = addons.secret(await ha.mint());
    const { options } = supervisorOptions(config.schema, config.options, {
      home_assistant_url: ha.url,
      access_token: token,
    });
    // 127.0.0.2 plays the ingress proxy; the check runs from 127.0.0.1 as
    // Docker runs it inside the container.
    const run = await startLikeRunSh(root, options, '127.0.0.2');
    const [command, ...args] = healthcheckCommand(run.port) as [string, ...string[]];
    let healthy: ReturnType<typeof spawnSync>;
    let inside: { status: number };
    try {
      healthy = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
      inside = await getFrom('127.0.0.1', run.port, '/api/status');
    } finally {
      await run.stop();
    }
    const stopped = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });

    expect(healthy.status, String(healthy.stderr)).toBe(0);
    expect(inside.status).toBe(403);
    expect(stopped.status).not.toBe(0);
  });

  test('the Supervisor refuses what the schema does not allow', () => {
    const { errors } = supervisorOptions(config.schema, config.options, {
      token_source: 'vault',
      log_level: 'loud',
      home_assistant_url: 'nope',
      made_up: 1,
    });
    expect(errors.sort()).toEqual([
      "Unknown option 'made_up'",
      'home_assistant_url: not a URL',
      'log_level: not one of trace|debug|info|notice|warning|error|fatal',
      'token_source: not one of options|ssm',
    ]);
  });
});

test('every shell script passes shellcheck', () => {
  const shellcheck = execFileSync('bash', [join(root, 'scripts/shellcheck.sh')], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop() as string;
  const scripts = trackedFiles().filter(
    (f) => f.endsWith('.sh') || f === 'run.sh' || f === '.ci/run',
  );

  expect(scripts).toEqual(expect.arrayContaining(['run.sh', '.ci/run', 'scripts/python-env.sh']));
  execFileSync(shellcheck, scripts, { cwd: root, stdio: 'inherit' });
}, 600_000); // the first run on a fresh machine installs shellcheck with apt

test("the Dockerfile's build steps, run on a fresh clone, give a program under 25 MB that starts", async () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const clone = mkdtempSync(join(tmpdir(), 'htm-image-'));
  temps.push(clone);
  execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${root}`, join(clone, 'src')]);
  const build = join(clone, 'build');
  const app = join(clone, 'app');
  // Replay the build stage (COPY and RUN; the apk step installs Node, which is here).
  const [buildStage, runStage] = dockerfile.split(/^FROM .*$/m).slice(1) as [string, string];
  for (const line of buildStage.split('\n')) {
    const copy = /^COPY (.+) \S+$/.exec(line);
    if (copy)
      for (const path of (copy[1] as string).split(' '))
        cpSync(join(clone, 'src', path), join(build, path), { recursive: true });
    const run = /^RUN (.+)$/.exec(line);
    if (run && !(run[1] as string).startsWith('apk '))
      execFileSync('sh', ['-c', run[1] as string], { cwd: build, stdio: 'ignore' });
  }
  // Then the run stage's copies out of the build stage.
  for (const line of runStage.split('\n')) {
    const copy = /^COPY --from=build \/build\/(\S+) \.\/(\S+)$/.exec(line);
    if (copy)
      cpSync(join(build, copy[1] as string), join(app, copy[2] as string), { recursive: true });
  }
  cpSync(join(clone, 'src', 'package.json'), join(app, 'package.json'));

  const bytes = sizeOf(app);
  const token = addons.secret(await ha.mint());
  const { options } = supervisorOptions(config.schema, config.options, {
    home_assistant_url: ha.url,
    access_token: token,
  });
  const run = await startLikeRunSh(app, options);
  await run.stop();

  expect(readdirSync(app).sort()).toEqual(['dist', 'node_modules', 'package.json']);
  expect(bytes).toBeLessThan(25 * 2 ** 20);
  expect(run.health.status).toBe(200);
  process.stdout.write(
    `[packaging] production program: ${(bytes / 2 ** 20).toFixed(1)} MiB (${relative(clone, app)}); start to /health ${run.ms.toFixed(0)} ms\n`,
  );
});
