// `DEMO_CONSUMER=python|node npm run demo`: one of the consumer libraries'
// examples next to the add-on, so a rotation can be watched from the consumer's
// side — its lines, prefixed [consumer], keep saying 200 while the version moves.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pythonClientEnv } from '../test/support/python-client.js';
import { TEST_AWS } from '../test/support/ssm.js';

const path = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

export function startConsumer(
  kind: string,
  target: { haUrl: string; parameter: string; ssmEndpoint: string; ttlSeconds: number },
): ChildProcess {
  const env = {
    HA_URL: target.haUrl,
    HA_TOKEN_PARAMETER: target.parameter,
    HA_TOKEN_TTL: String(target.ttlSeconds),
    AWS_REGION: TEST_AWS.region,
    AWS_ACCESS_KEY_ID: TEST_AWS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_AWS.secretAccessKey,
    AWS_ENDPOINT_URL_SSM: target.ssmEndpoint,
  };
  let child: ChildProcess;
  if (kind === 'python') {
    const py = pythonClientEnv();
    child = spawn(py.python, [path('clients/python/examples/lambda_handler.py')], {
      env: { ...py.env, ...env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } else if (kind === 'node') {
    execFileSync('npx', ['tsc', '-p', path('clients/node/tsconfig.json')], { stdio: 'inherit' });
    child = spawn(process.execPath, [path('clients/node/examples/watch-home-assistant.mjs')], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } else {
    throw new Error(`DEMO_CONSUMER must be python or node, not ${kind}`);
  }
  if (child.stdout)
    createInterface({ input: child.stdout }).on('line', (line) =>
      process.stdout.write(`[consumer] ${line}\n`),
    );
  return child;
}
