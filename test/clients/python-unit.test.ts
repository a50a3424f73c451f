import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { PYTHON_CLIENT_DIR, pythonClientEnv } from '../support/python-client.js';

// The Python client's own pytest suite (clients/python/tests), in the venv
// scripts/python-client-env.sh keeps, so `npm test` covers both libraries.
test('the Python client passes its pytest suite', () => {
  const { python, env } = pythonClientEnv();
  const run = spawnSync(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider'], {
    cwd: PYTHON_CLIENT_DIR,
    env,
    encoding: 'utf8',
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toMatch(/\d+ passed/);
});
