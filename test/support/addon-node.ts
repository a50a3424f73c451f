import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/addon-node.sh', import.meta.url));

let binary: string | undefined;

/**
 * The Node binary the add-on runs on in tests, the demo and the bench: the
 * official Node 24 build, pinned and fetched from the npm registry by
 * scripts/addon-node.sh into the cache outside the clone (first use only).
 * The add-on image runs Node 24 too; the tooling runs on whatever Node the
 * machine has.
 */
export function addonNode(): string {
  if (binary) return binary;
  const out = execFileSync('bash', [script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  binary = out.trim().split('\n').pop();
  if (!binary) throw new Error('scripts/addon-node.sh printed no path');
  return binary;
}

let version: string | undefined;

/** `v24.x.y` of `addonNode()`, asked once. */
export function addonNodeVersion(): string {
  version ??= execFileSync(addonNode(), ['--version'], { encoding: 'utf8' }).trim();
  return version;
}
