import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// What Core reads when it starts: the files the harness writes into a fresh
// config directory, and the HTTP config state it checks afterwards.

/** The answer to `http/config` (2026.x; components/http/websocket_api.py). */
export interface HttpConfigState {
  active_config_type: 'stable' | 'pending' | 'default' | 'default_legacy_port';
  pending: { error: string | null } | null;
  revert_at: string | null;
}

/**
 * Written before the first start, else Core writes one with default_config
 * (which pulls in integrations that reach the internet).
 */
export function writeConfiguration(configDir: string, extra: string[]): Promise<void> {
  return writeFile(
    join(configDir, 'configuration.yaml'),
    [
      'homeassistant:',
      '  name: HA Token Manager tests',
      '  time_zone: UTC',
      ...extra,
      'logger:',
      '  default: warning',
      '',
    ].join('\n'),
  );
}

/**
 * Since 2026.x Core keeps its HTTP settings in `.storage/http` as a
 * stable/pending pair (homeassistant/components/http/config.py,
 * HTTPConfigStore). A YAML `http:` block is deprecated (it stops working in
 * 2027.2) and is moved into a *pending* trial on the first start, which Core
 * reverts — exit code 100, back on 0.0.0.0:8123 — unless it is promoted
 * (`http/config/promote`) within 5 minutes. Writing the store before the
 * first start makes loopback and the free port the *stable* config: no trial,
 * nothing to promote, no YAML to migrate.
 *
 * It is written in the store's version-1 shape (the bare settings, what older
 * releases stored): Core migrates that itself (`_HTTPStore._async_migrate_func`
 * runs it through `HTTP_STORAGE_SCHEMA`, which fills in every default), so
 * the harness does not copy Core's defaults.
 */
export async function writeHttpStore(configDir: string, port: number): Promise<void> {
  await mkdir(join(configDir, '.storage'), { recursive: true });
  await writeFile(
    join(configDir, '.storage', 'http'),
    JSON.stringify({
      version: 1,
      minor_version: 1,
      key: 'http',
      data: { server_host: ['127.0.0.1'], server_port: port },
    }),
  );
}

/**
 * Marks every onboarding step but the owner's as done before the first start
 * (`.storage/onboarding`, components/onboarding/__init__.py,
 * STORAGE_VERSION 4, `done`), so the harness's owner step completes
 * onboarding. Without it the frontend sends every page to /onboarding.html
 * (components/frontend IndexView: `async_is_onboarded`), and finishing the
 * core_config step through the API would start met, radio_browser and
 * google_translate, which reach the internet.
 */
export async function writeOnboardingStore(configDir: string): Promise<void> {
  await mkdir(join(configDir, '.storage'), { recursive: true });
  await writeFile(
    join(configDir, '.storage', 'onboarding'),
    JSON.stringify({
      version: 4,
      minor_version: 1,
      key: 'onboarding',
      data: { done: ['core_config', 'analytics', 'integration'] },
    }),
  );
}
