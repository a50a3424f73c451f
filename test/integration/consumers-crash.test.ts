import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, test } from 'vitest';
import type { StatusSnapshot } from '../../src/status/status-model.js';
import { useAddons } from '../support/addon-session.js';
import { haCommand } from '../support/ha-commands.js';
import { sharedHa } from '../support/shared-ha.js';
import { NEVER, putToken, TEST_AWS } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// A consumer's rotation goes through the same journal and recover() as the
// add-on's own (docs/rotation.md, "Consumers"): the add-on is killed (SIGKILL,
// by a failpoint) at each step of a consumer's rotation, started again on the
// same DATA_DIR, and must leave no orphan. The switch points do not apply: a
// consumer has no live connection to switch. All cases run at once, so their
// one-minute grace periods overlap.
const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
const moto = ssm.moto;
addons.secret(TEST_AWS.secretAccessKey);

const POINTS: Record<string, 'done' | 'rolled-back'> = {
  'rotation.mint.before': 'rolled-back',
  'rotation.mint.after': 'rolled-back',
  'rotation.publish.before': 'rolled-back',
  'rotation.publish.after': 'done',
  'rotation.revoke.before': 'done',
  'rotation.revoke.after': 'done',
};
const SETTLED = ['done', 'rolled-back', 'abandoned'];

interface Outcome {
  old: string;
  value: string;
  works: boolean;
  /** Tokens named for this consumer that Home Assistant still has. */
  left: string[];
  held: string;
  oldLeft: boolean;
  record: NonNullable<StatusSnapshot['rotation']>['journal'][number] | undefined;
}

const iss = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).iss as string;

async function read(name: string): Promise<string> {
  const r = await moto.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return addons.secret(r.Parameter?.Value ?? '');
}

async function killAt(point: string, i: number): Promise<Outcome> {
  const name = `crash-${process.pid}-${i}`;
  const parameter = `/htm-test/${process.pid}/${Date.now()}/crash/${name}`;
  const old = addons.secret(await ha.mint(30));
  await putToken(moto, parameter, old); // adopted: a token of the add-on's user, revocable
  const access = addons.secret(await ha.mint());
  const options = {
    home_assistant_url: ha.url,
    access_token: access,
    aws_region: TEST_AWS.region,
    aws_access_key_id: TEST_AWS.accessKeyId,
    aws_secret_access_key: TEST_AWS.secretAccessKey,
    ssm_endpoint: ssm.proxy.url,
    refresh_schedule: NEVER,
    rotation_grace_minutes: 1,
    consumers: [{ name, ssm_parameter: parameter }],
  };
  const addon = await addons.start(options, { env: { HTM_FAILPOINTS: `${point}=exit` } });
  await addon.waitForStatus('adopted', (s) => s.consumers[0]?.origin === 'adopted');
  void addon.get(`/api/consumers/${name}/rotate`, { method: 'POST' }).catch(() => undefined);
  const code = await Promise.race([
    addon.exited,
    new Promise((r) => setTimeout(() => r('alive'), 120_000)),
  ]);
  if (code === 'alive') throw new Error(`${point}: the add-on was not killed`);
  addons.record(addon.output, ...addon.bodies);
  await writeFile(join(addon.dir, 'options.json'), JSON.stringify(options));
  const again = await addons.start(undefined, { dir: addon.dir });
  const settled = await again.waitForStatus(
    'the rotation settled',
    (s) => {
      const r = s.rotation?.journal.filter((j) => j.credential === `consumer:${name}`).at(-1);
      return SETTLED.includes(r?.state ?? '') && s.consumers[0]?.state === 'ok';
    },
    150_000,
  );
  const value = await read(parameter);
  const tokens = await haCommand<{ id: string; client_name: string | null }[]>(
    ha.url,
    ha.adminToken,
    { type: 'auth/refresh_tokens' },
  );
  return {
    old,
    value,
    works: (await fetch(`${ha.url}/api/`, { headers: { Authorization: `Bearer ${value}` } })).ok,
    left: tokens
      .filter((t) => t.client_name?.startsWith(`HA Token Manager: ${name} `))
      .map((t) => t.id),
    held: iss(value),
    oldLeft: tokens.some((t) => t.id === iss(old)),
    record: settled.rotation?.journal.filter((j) => j.credential === `consumer:${name}`).at(-1),
  };
}

const results = new Map<string, PromiseSettledResult<Outcome>>();

beforeAll(async () => {
  const points = Object.keys(POINTS);
  const settled = await Promise.allSettled(points.map((p, i) => killAt(p, i)));
  for (const [i, p] of points.entries())
    results.set(p, settled[i] as PromiseSettledResult<Outcome>);
}, 400_000);

describe('a consumer killed at each rotation step', () => {
  for (const [point, expected] of Object.entries(POINTS)) {
    test(`${point}: ${expected}, no orphan, the parameter holds a token HA accepts`, () => {
      const result = results.get(point);
      if (!result || result.status === 'rejected') throw result?.reason ?? new Error('did not run');
      const o = result.value;
      expect(o.record?.state, o.record?.note).toBe(expected);
      expect(o.works).toBe(true);
      // No token minted for this consumer remains, except the one its parameter holds.
      for (const id of o.left) expect(id).toBe(o.held);
      if (expected === 'done') {
        expect(o.value).not.toBe(o.old);
        expect(o.left).toEqual([o.held]);
        expect(o.oldLeft).toBe(false); // the replaced (adopted) token was revoked
      } else {
        expect(o.value).toBe(o.old);
        expect(o.left).toEqual([]);
        expect(o.oldLeft).toBe(true);
      }
    });
  }
});
