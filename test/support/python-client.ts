import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/python-client-env.sh', import.meta.url));
export const PYTHON_CLIENT_DIR = fileURLToPath(new URL('../../clients/python', import.meta.url));

/** The Python client's test virtualenv (boto3 + pytest), created on first use; its python. */
export function pythonClientEnv(): { python: string; env: Record<string, string> } {
  const out = execFileSync('bash', [script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const venv = out.trim().split('\n').pop();
  if (!venv) throw new Error('scripts/python-client-env.sh printed no virtualenv path');
  return {
    python: `${venv}/bin/python`,
    env: {
      PATH: process.env.PATH ?? '',
      PYTHONPATH: `${PYTHON_CLIENT_DIR}/src`,
      PYTHONDONTWRITEBYTECODE: '1',
    },
  };
}
