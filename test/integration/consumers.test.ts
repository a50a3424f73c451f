import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import type { ConsumerInfo, StatusSnapshot } from '../../src/status/status-model.js';
import type { Addon } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { haCommand } from '../support/ha-commands.js';
import { waitFor } from '../support/ports.js';
import { sharedHa } from '../support/shared-ha.js';
import { NEVER, putToken, TEST_AWS } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// One token per consumer (docs/rotation.md, "Consumers") against the real Home
// Assistant and moto: issued, published, rotated and revoked through the same
// journal as the add-on's own token.
const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
const moto = ssm.moto;
addons.secret(TEST_AWS.secretAccessKey);

let runs = 0;
/** Parameters under a path no other test uses. */
function pathFor(): string {
  return `/htm-test/${process.pid}/${Date.now()}/${++runs}/consumers`;
}

function options(access: string, consumers: object[], extra: Record<string, unknown> = {}) {
  return {
    home_assistant_url: ha.url,
    token_source: 'options',
    access_token: access,
    aws_region: TEST_AWS.region,
    aws_access_key_id: TEST_AWS.accessKeyId,
    aws_secret_access_key: TEST_AWS.secretAccessKey,
    ssm_endpoint: ssm.proxy.url,
    refresh_schedule: NEVER,
    rotation_grace_minutes: 1,
    consumers,
    ...extra,
  };
}

async function read(name: string): Promise<{ value: string; version: number } | undefined> {
  try {
    const r = await moto.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = addons.secret(r.Parameter?.Value ?? '');
    return { value, version: r.Parameter?.Version ?? 0 };
  } catch {
    return undefined;
  }
}

async function works(token: string): Promise<boolean> {
  const response = await fetch(`${ha.url}/api/`, { headers: { Authorization: `Bearer ${token}` } });
  return response.status === 200;
}

async function userTokens() {
  return haCommand<
    { id: string; client_name: string | null; created_at: string; last_used_at: string | null }[]
  >(ha.url, ha.adminToken, { type: 'auth/refresh_tokens' });
}

function refreshTokenIdOf(token: string): string {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
  return claims.iss as string;
}

const byName = (s: StatusSnapshot, name: string) =>
  s.consumers.find((c) => c.name === name) as ConsumerInfo;

const allOk = (names: string[]) => (s: StatusSnapshot) =>
  names.every((n) => byName(s, n)?.state === 'ok' && !byName(s, n)?.rotating);

async function post(addon: Addon, path: string) {
  const response = await addon.get(path, { method: 'POST' });
  return {
    status: response.status,
    ...(JSON.parse(response.body) as { ok: boolean; message: string }),
  };
}

async function threeConsumers(
  extra: Record<string, unknown> = {},
  prepare?: (path: string) => Promise<void>,
) {
  const path = pathFor();
  const access = addons.secret(await ha.mint());
  const consumers = ['alexa', 'lambda_2', 'nas'].map((name) => ({
    name,
    ssm_parameter: `${path}/${name}`,
  }));
  await prepare?.(path);
  const addon = await addons.start(options(access, consumers, extra));
  const status = await addon.waitForStatus(
    'three consumers issued',
    allOk(consumers.map((c) => c.name)),
    60_000,
  );
  return { addon, path, access, consumers, status };
}

describe('consumers', () => {
  test('three consumers are issued on first start: three parameters, three tokens HA accepts, three distinct client_names', async () => {
    const started = Date.now();
    const { addon, path, status } = await threeConsumers();
    const values = await Promise.all(['alexa', 'lambda_2', 'nas'].map((n) => read(`${path}/${n}`)));
    expect(values.every((v) => v !== undefined)).toBe(true);
    const tokens = values.map((v) => v?.value as string);
    expect(new Set(tokens).size).toBe(3);
    for (const token of tokens) expect(await works(token)).toBe(true);

    const mine = (await userTokens()).filter((t) => tokens.map(refreshTokenIdOf).includes(t.id));
    const names = mine.map((t) => t.client_name as string).sort();
    expect(names).toHaveLength(3);
    expect(names[0]).toMatch(/^HA Token Manager: alexa \d{4}-/);
    expect(names[1]).toMatch(/^HA Token Manager: lambda_2 /);
    expect(names[2]).toMatch(/^HA Token Manager: nas /);

    // Created by the add-on: tagged as its own (PutParameter with Tags, no Overwrite).
    const tags = await moto.send(
      new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: `${path}/alexa` }),
    );
    expect(tags.TagList).toEqual(
      expect.arrayContaining([{ Key: 'managed-by', Value: 'ha-token-manager' }]),
    );
    for (const c of status.consumers) {
      expect(c).toMatchObject({ configured: true, origin: 'minted', state: 'ok' });
      expect(c.masked).toMatch(/^••••.{4}$/);
      expect(c.nextRotationAt).toBeDefined();
    }
    console.log(
      `three consumers issued in ${Date.now() - started} ms (start of the add-on included)`,
    );
    const metrics = (await addon.get('/metrics')).body;
    expect(metrics).toMatch(/ha_token_manager_consumer_state\{consumer="alexa",state="ok"\} 1/);
  });

  test('a consumer rotated while a reader reads its parameter once a second and calls every 100 ms with what it read: zero failures, the others untouched, the old token revoked after the grace period', async () => {
    const { addon, path } = await threeConsumers();
    const before = {
      alexa: await read(`${path}/alexa`),
      nas: await read(`${path}/nas`),
      lambda: await read(`${path}/lambda_2`),
    };
    // As the issue describes a consumer: it reads its parameter once a second and
    // calls Home Assistant every 100 ms with what it read last — so a token revoked
    // while a consumer still holds it (a cache the add-on did not wait for) fails a call.
    const reader = {
      running: true,
      latest: before.lambda?.value as string,
      calls: 0,
      failures: 0,
      used: new Set<string>(),
    };
    const reading = (async () => {
      while (reader.running) {
        await new Promise((r) => setTimeout(r, 1000));
        const held = await read(`${path}/lambda_2`);
        if (held) reader.latest = held.value;
      }
    })();
    const calling = (async () => {
      while (reader.running) {
        const token = reader.latest;
        reader.used.add(token);
        if (!(await works(token))) reader.failures++;
        reader.calls++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const outcome = await post(addon, '/api/consumers/lambda_2/rotate');
    expect(outcome, outcome.message).toMatchObject({ ok: true, status: 200 });
    const after = await read(`${path}/lambda_2`);
    expect(after?.value).not.toBe(before.lambda?.value);
    expect(await works(before.lambda?.value as string)).toBe(true); // grace period

    // The replaced token leaves Home Assistant once the grace period (1 min) is over.
    const oldId = refreshTokenIdOf(before.lambda?.value as string);
    await addon.waitForStatus(
      'the replaced token revoked',
      (s) =>
        s.rotation?.journal.some(
          (r) =>
            r.credential === 'consumer:lambda_2' &&
            r.replaced === `••••${before.lambda?.value.slice(-4)}` &&
            r.state === 'done',
        ) ?? false,
      120_000,
    );
    expect((await userTokens()).some((t) => t.id === oldId)).toBe(false);
    // Calls go on after the revocation, with what the reader holds by then.
    const callsAtRevocation = reader.calls;
    await waitFor('20 calls after the revocation', () => reader.calls >= callsAtRevocation + 20);
    reader.running = false;
    await Promise.all([reading, calling]);
    expect(reader.failures).toBe(0);
    // It called with the old token, then with the new one it read back.
    expect([...reader.used]).toEqual([before.lambda?.value, after?.value]);
    // Home Assistant does not record uses of long-lived tokens
    // (homeassistant/auth/__init__.py async_create_access_token): "last used" stays empty.
    expect(byName(await addon.status(), 'lambda_2').lastUsedAt).toBeUndefined();
    expect(await read(`${path}/alexa`)).toEqual(before.alexa);
    expect(await read(`${path}/nas`)).toEqual(before.nas);
    // For the record (no secrets: the canary searches everything served).
    const status = await addon.status();
    await mkdir('test-results', { recursive: true });
    await writeFile(
      'test-results/consumers-status.json',
      JSON.stringify({ consumers: status.consumers, rotation: status.rotation?.journal }, null, 1),
    );
  });

  test('a parameter deleted behind the add-on’s back is re-issued at the next refresh', async () => {
    const { addon, path } = await threeConsumers();
    const old = await read(`${path}/nas`);
    await moto.send(new DeleteParameterCommand({ Name: `${path}/nas` }));
    await post(addon, '/api/refresh');
    const s = await addon.waitForStatus(
      'nas re-issued',
      (st) =>
        byName(st, 'nas').state === 'ok' &&
        byName(st, 'nas').masked !== undefined &&
        !byName(st, 'nas').rotating &&
        (byName(st, 'nas').version ?? 0) >= 1 &&
        byName(st, 'nas').fingerprint !== undefined,
      60_000,
    );
    const now = await read(`${path}/nas`);
    expect(now?.value).toBeDefined();
    expect(now?.value).not.toBe(old?.value);
    expect(await works(now?.value as string)).toBe(true);
    expect(s.events.some((e) => e.message.includes('Issued the token of nas'))).toBe(true);
  });

  test('a parameter changed by someone else is reported at the next refresh (and the new token adopted)', async () => {
    const { addon, path } = await threeConsumers();
    const before = await read(`${path}/alexa`);
    const replacement = addons.secret(await ha.mint(30));
    await putToken(moto, `${path}/alexa`, replacement);
    await post(addon, '/api/refresh');
    const s = await addon.waitForStatus(
      'the change noticed',
      (st) => byName(st, 'alexa').origin === 'adopted',
    );
    const event = s.events.find((e) => e.message.includes('was changed outside the add-on'));
    expect(event?.level).toBe('warning');
    expect(event?.message).toContain(`••••${before?.value.slice(-4)}`);
    expect(event?.message).toContain(`••••${replacement.slice(-4)}`);
    // Its own rotation is not "someone else": nothing reported for the others.
    expect(s.events.filter((e) => e.message.includes('changed outside'))).toHaveLength(1);
    expect((await read(`${path}/alexa`))?.value).toBe(replacement);
  });

  test('a valid token the add-on did not mint is adopted, not replaced', async () => {
    const foreign = addons.secret(await ha.mint(30));
    const { addon, path } = await threeConsumers({}, async (p) => {
      await putToken(moto, `${p}/alexa`, foreign);
    });
    expect((await read(`${path}/alexa`))?.value).toBe(foreign);
    const s = await addon.status();
    expect(byName(s, 'alexa')).toMatchObject({ origin: 'adopted', state: 'ok' });
    expect(byName(s, 'nas')).toMatchObject({ origin: 'minted' });
    expect(s.events.some((e) => e.message.includes('Adopted the token'))).toBe(true);
  });

  test('removing every consumer never revokes their tokens: listed as no longer configured until Revoke is pressed', async () => {
    const { addon, path, access } = await threeConsumers();
    const nas = await read(`${path}/nas`);
    await addon.stop();
    // All of them: the manager still runs for the remembered ones.
    await writeFile(join(addon.dir, 'options.json'), JSON.stringify(options(access, [])));
    const again = await addons.start({}, { dir: addon.dir });
    const s = await again.waitForStatus(
      'nas no longer configured',
      (st) => byName(st, 'nas')?.state === 'not configured',
      30_000,
    );
    expect(byName(s, 'nas')).toMatchObject({ configured: false, parameter: `${path}/nas` });
    expect(await works(nas?.value as string)).toBe(true);
    expect((await userTokens()).some((t) => t.id === refreshTokenIdOf(nas?.value as string))).toBe(
      true,
    );

    const revoked = await post(again, '/api/consumers/nas/revoke');
    expect(revoked, revoked.message).toMatchObject({ ok: true });
    expect((await userTokens()).some((t) => t.id === refreshTokenIdOf(nas?.value as string))).toBe(
      false,
    );
    const after = await again.status();
    expect(after.consumers.some((c) => c.name === 'nas')).toBe(false);
    // Its parameter is left alone.
    expect((await read(`${path}/nas`))?.value).toBe(nas?.value);
  });
});
