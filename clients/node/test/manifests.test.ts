import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (['node_modules', 'dist', '__pycache__', '.pytest_cache'].includes(entry.name)) return [];
    return entry.isDirectory() ? files(path) : [path];
  });
}

describe('the clients’ manifests', () => {
  test('the Node client pins the same AWS SDK as the add-on', () => {
    const addon = JSON.parse(read('package.json'));
    const client = JSON.parse(read('clients/node/package.json'));
    expect(client.dependencies['@aws-sdk/client-ssm']).toBe(
      addon.dependencies['@aws-sdk/client-ssm'],
    );
  });

  test('the Python client is tested with the boto3 it pins', () => {
    const pinned = /"boto3==([\d.]+)"/.exec(read('clients/python/pyproject.toml'))?.[1];
    const tested = /boto3_version=([\d.]+)/.exec(read('scripts/python-client-env.sh'))?.[1];
    expect(pinned).toBeDefined();
    expect(tested).toBe(pinned);
  });

  test('no file under clients/ has a name the Supervisor reads as add-on material', () => {
    const names = files('clients').map((path) => path.split('/').pop() ?? '');
    expect(names.filter((name) => /^(config\.(ya?ml|json)|build\..+)$/.test(name))).toEqual([]);
    expect(names).toContain('py.typed');
  });
});
