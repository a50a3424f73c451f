import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const scripts = fileURLToPath(new URL('../../scripts/', import.meta.url));

/** Runs one of the install scripts (progress goes to stderr) and returns the path it prints last. */
function installed(script: string): string {
  const out = execFileSync('bash', [`${scripts}${script}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const path = out.trim().split('\n').pop();
  if (!path) throw new Error(`scripts/${script} printed no path`);
  return path;
}

/**
 * The virtualenv with moto and Home Assistant Core 2024.3.3 (the oldest
 * release the add-on supports), installed on first use and reused afterwards.
 */
export function pythonEnv(): string {
  return installed('python-env.sh');
}

/**
 * The Debian root holding Home Assistant Core 2026.11.0 (it needs Python
 * 3.14), built on first use and reused afterwards; see scripts/ha-root.sh.
 */
export function haRoot(): string {
  return installed('ha-root.sh');
}
