import { expect, inject, test } from 'vitest';
import { haCommand } from '../support/ha-commands.js';

// Guards the harness itself against what Home Assistant 2026.x changed: the
// HTTP settings live in `.storage/http`, and a pending (unconfirmed) config
// would be reverted 5 minutes into the run — Core exits with code 100 and
// comes back on 0.0.0.0:8123 (components/http/config.py).
const ha = inject('ha');

test('the integration project runs on Home Assistant 2026.11.0', () => {
  expect(ha.version).toBe('2026.11.0');
});

test('Core serves its stable HTTP config on loopback: no trial, no revert scheduled, no YAML deprecation', async () => {
  const config = await haCommand<{
    active_config_type: string;
    pending: unknown;
    revert_at: string | null;
    stable: { server_host: string[]; server_port: number };
  }>(ha.url, ha.adminToken, { type: 'http/config' });
  const { issues } = await haCommand<{ issues: { domain: string; issue_id: string }[] }>(
    ha.url,
    ha.adminToken,
    { type: 'repairs/list_issues' },
  );

  expect(config).toMatchObject({ active_config_type: 'stable', pending: null, revert_at: null });
  expect(config.stable.server_host).toEqual(['127.0.0.1']);
  expect(`http://127.0.0.1:${config.stable.server_port}`).toBe(ha.url);
  expect(issues.filter((i) => i.domain === 'http').map((i) => i.issue_id)).toEqual([]);
});

test('the MQTT integration is set up by its config flow and connected to the run’s mosquitto', async () => {
  const broker = inject('mqtt');
  const entries = await haCommand<{ domain: string; state: string; title: string }[]>(
    ha.url,
    ha.adminToken,
    { type: 'config_entries/get', domain: 'mqtt' },
  );

  expect(broker?.host).toBe('127.0.0.1');
  expect(entries).toEqual([
    expect.objectContaining({ domain: 'mqtt', state: 'loaded', title: '127.0.0.1' }),
  ]);
});
