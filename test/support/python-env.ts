import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/python-env.sh', import.meta.url));

/**
 * The virtualenv with Home Assistant Core and moto, installed on first use
 * (progress goes to stderr) and reused afterwards. Returns its path.
 */
export function pythonEnv(): string {
  const out = execFileSync('bash', [script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const venv = out.trim().split('\n').pop();
  if (!venv) throw new Error('scripts/python-env.sh printed no virtualenv path');
  return venv;
}
