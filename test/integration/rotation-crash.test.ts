import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { StatusSnapshot } from '../../src/status/status-model.js';
import type { Addon } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { haCommand } from '../support/ha-commands.js';
import { waitFor } from '../support/ports.js';
import { sharedHa } from '../support/shared-ha.js';
import { putToken, SsmProxy, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';
import { WsCutProxy } from '../support/ws-cut-proxy.js';

// The rotation journal against the real Home Assistant and moto
// (docs/rotation.md): the real add-on process is killed (SIGKILL, by a
// failpoint) at every step of a rotation and started again on the same
// DATA_DIR; and two answers are lost without a kill. The grace period is the
// real minimum, one minute, so every case runs at once in beforeAll — each
// with its own add-on process, SSM parameter and harness-minted token — and
// their grace periods overlap: the file takes about two minutes, not ten.
const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
const moto = ssm.moto;
addons.secret(TEST_AWS.secretAccessKey);

const SETTLED = ['done', 'rolled-back', 'abandoned'];

/** Where each failpoint leaves the rotation once the add-on is back: kept, or undone. */
const POINTS: Record<string, 'done' | 'rolled-back'> = {
  'rotation.mint.before': 'rolled-back',
  'rotation.mint.after': 'rolled-back',
  'rotation.publish.before': 'rolled-back',
  'rotation.publish.after': 'done',
  'rotation.switch.before': 'done',
  'rotation.switch.after': 'done',
  'rotation.revoke.before': 'done',
  'rotation.revoke.after': 'done',
};

interface Outcome {
  parameter: string;
  old: string;
  clientName: string;
  /** The rotation's answer, when the add-on lived to give it. */
  answer?: { ok: boolean; message: string };
  /** Checked right after the kill: SSM holds a token HA accepts. */
  ssmWorkedAfterKill?: boolean;
  settled: StatusSnapshot;
  /** What is true once settled. */
  ssmValue: string;
  ssmWorks: boolean;
  oldWorks: boolean;
  /** The add-on's minted token, if HA still has it, and the refresh-token id of the token in SSM. */
  mintedLeft: { id: string }[];
  ssmTokenId: string;
  next: { ok: boolean; message: string };
  nextSsmWorks: boolean;
  events: string;
}

async function readParameter(name: string) {
  const result = await moto.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return result.Parameter?.Value ?? '';
}

async function works(token: string): Promise<boolean> {
  const response = await fetch(`${ha.url}/api/`, { headers: { Authorization: `Bearer ${token}` } });
  return response.status === 200;
}

function issuer(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).iss;
}

async function rotate(addon: Addon): Promise<{ ok: boolean; message: string }> {
  const response = await addon.get('/api/rotate', { method: 'POST' });
  return JSON.parse(response.body) as { ok: boolean; message: string };
}

async function start(haUrl: string, ssmUrl: string, env: Record<string, string> = {}) {
  const parameter = uniqueParameter();
  const old = addons.secret(await ha.mint());
  await putToken(moto, parameter, old);
  const addon = await addons.start(
    ssmAddonOptions(haUrl, ssmUrl, parameter, { rotation_grace_minutes: 1 }),
    { env },
  );
  await addon.waitForStatus('connected', (s) => s.state === 'connected');
  return { addon, parameter, old };
}

/** Waits until the newest rotation record is finished, then checks every invariant. */
async function settle(
  addon: Addon,
  base: Omit<
    Outcome,
    | 'settled'
    | 'ssmValue'
    | 'ssmWorks'
    | 'oldWorks'
    | 'mintedLeft'
    | 'ssmTokenId'
    | 'next'
    | 'nextSsmWorks'
    | 'events'
    | 'clientName'
  >,
): Promise<Outcome> {
  const settled = await addon.waitForStatus(
    'the rotation settled',
    (s) => SETTLED.includes(s.rotation?.journal.at(-1)?.state ?? ''),
    150_000,
  );
  const clientName = settled.rotation?.journal.at(-1)?.clientName ?? '';
  const ssmValue = addons.secret(await readParameter(base.parameter));
  const tokens = await haCommand<{ id: string; client_name: string | null }[]>(
    ha.url,
    ha.adminToken,
    {
      type: 'auth/refresh_tokens',
    },
  );
  const journal = await readFile(join(addon.dir, 'rotation-journal.jsonl'), 'utf8');
  if (journal.includes(ssmValue) || journal.includes(base.old))
    throw new Error('the journal holds a token value');
  const outcome: Omit<Outcome, 'next' | 'nextSsmWorks'> = {
    ...base,
    clientName,
    settled,
    ssmValue,
    ssmWorks: await works(ssmValue),
    oldWorks: await works(base.old),
    mintedLeft: tokens.filter((t) => t.client_name === clientName).map((t) => ({ id: t.id })),
    ssmTokenId: issuer(ssmValue),
    events: settled.events.map((e) => `${e.level} ${e.message}`).join('\n'),
  };
  // The next rotation is not blocked.
  const next = await rotate(addon);
  const after = addons.secret(await readParameter(base.parameter));
  return { ...outcome, next, nextSsmWorks: await works(after) };
}

async function killAt(point: string): Promise<Outcome> {
  const { addon, parameter, old } = await start(ha.url, ssm.proxy.url, {
    HTM_FAILPOINTS: `${point}=exit`,
  });
  const answering = rotate(addon).catch(() => undefined);
  // The revoke points fire only after the grace period.
  const code = await Promise.race([
    addon.exited,
    new Promise((r) => setTimeout(() => r('alive'), 120_000)),
  ]);
  const answer = await answering;
  if (code === 'alive') throw new Error(`${point}: the add-on was not killed`);
  const ssmWorkedAfterKill = await works(addons.secret(await readParameter(parameter)));
  addons.record(addon.output, ...addon.bodies);
  const again = await addons.start(undefined, { dir: addon.dir });
  await again.waitForStatus('connected again', (s) => s.state === 'connected');
  return settle(again, { parameter, old, answer, ssmWorkedAfterKill });
}

/** Cuts the add-on's WebSocket right after it sent the mint: HA mints, the answer is lost. */
async function mintAnswerLost(): Promise<Outcome> {
  const front = await WsCutProxy.start(ha.url);
  try {
    const { addon, parameter, old } = await start(front.url, ssm.proxy.url);
    front.cutAfter = 'auth/long_lived_access_token';
    const answer = await rotate(addon);
    if (front.cuts.length !== 1) throw new Error('the mint was not cut');
    return await settle(addon, { parameter, old, answer });
  } finally {
    await front.close();
  }
}

/** PutParameter lands in moto but its answer never comes back (and the SDK's retries land too). */
async function publishAnswerLost(): Promise<Outcome> {
  const front = await SsmProxy.start(inject('motoUrl'));
  try {
    const { addon, parameter, old } = await start(ha.url, front.url);
    front.mode = { kind: 'drop-answer', onlyFor: 'PutParameter' };
    const answer = await rotate(addon);
    front.mode = { kind: 'pass' };
    if (front.droppedAnswers === 0) throw new Error('no PutParameter answer was dropped');
    // As in the report: a refresh before anything else settles the rotation.
    await addon.get('/api/refresh', { method: 'POST' });
    return await settle(addon, { parameter, old, answer });
  } finally {
    await front.close();
  }
}

/**
 * The add-on is stopped (SIGTERM, as the Supervisor stops it) while the
 * PutParameter answer is held back 2.5 s — after the write landed: it exits
 * before the answer comes, and settles when started again.
 */
async function stoppedDuringPublish(): Promise<Outcome> {
  const front = await SsmProxy.start(inject('motoUrl'));
  try {
    const { addon, parameter, old } = await start(ha.url, front.url);
    front.mode = { kind: 'slow-answer', onlyFor: 'PutParameter', ms: 2500 };
    const answering = rotate(addon).catch(() => undefined);
    await waitFor(
      'SSM to show the new version',
      async () => (await readParameter(parameter)) !== old,
    );
    const stopped = await addon.stop();
    if (stopped.code !== 0) throw new Error(`the add-on exited ${stopped.code} on SIGTERM`);
    await answering;
    front.mode = { kind: 'pass' };
    addons.record(addon.output, ...addon.bodies);
    const again = await addons.start(undefined, { dir: addon.dir });
    await again.waitForStatus('connected again', (s) => s.state === 'connected');
    return await settle(again, { parameter, old });
  } finally {
    await front.close();
  }
}

const results = new Map<string, PromiseSettledResult<Outcome>>();

beforeAll(async () => {
  const started = Date.now();
  const cases: [string, () => Promise<Outcome>][] = [
    ...Object.keys(POINTS).map((p): [string, () => Promise<Outcome>] => [p, () => killAt(p)]),
    ['mint answer lost', mintAnswerLost],
    ['publish answer lost', publishAnswerLost],
    ['stopped during publish', stoppedDuringPublish],
  ];
  const settled = await Promise.allSettled(cases.map(([, run]) => run()));
  for (const [i, [name]] of cases.entries())
    results.set(name, settled[i] as PromiseSettledResult<Outcome>);
  console.log(`rotation-crash: ${cases.length} cases in ${Date.now() - started} ms`);
}, 400_000);

afterAll(() => results.clear());

function outcome(name: string): Outcome {
  const result = results.get(name);
  if (!result) throw new Error(`${name} did not run`);
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** The invariants every case must end in. */
function expectInvariants(o: Outcome, expected: 'done' | 'rolled-back') {
  const last = o.settled.rotation?.journal.at(-1);
  expect(last?.state, last?.note).toBe(expected);
  // SSM holds a token HA accepts.
  expect(o.ssmWorks).toBe(true);
  // No token minted by the add-on remains in HA, except the one SSM holds.
  for (const left of o.mintedLeft) expect(left.id).toBe(o.ssmTokenId);
  if (expected === 'done') {
    expect(o.ssmValue).not.toBe(o.old);
    expect(o.mintedLeft).toHaveLength(1);
    // The replaced token is revoked.
    expect(o.oldWorks).toBe(false);
  } else {
    expect(o.ssmValue).toBe(o.old);
    expect(o.oldWorks).toBe(true);
    expect(o.mintedLeft).toEqual([]);
  }
  // Nothing left to revoke, and the live token is never listed as pending.
  expect(o.settled.rotation?.pending).toEqual([]);
  // The next rotation is not blocked.
  expect(o.next, o.next.message).toMatchObject({ ok: true });
  expect(o.nextSsmWorks).toBe(true);
}

describe('a rotation killed at every step, restarted on the same DATA_DIR', () => {
  for (const [point, expected] of Object.entries(POINTS)) {
    test(`SIGKILL at ${point}: ends ${expected}, SSM always holds a working token, no minted token is left over`, () => {
      const o = outcome(point);
      expect(o.ssmWorkedAfterKill).toBe(true);
      expectInvariants(o, expected);
    });
  }
});

describe('lost answers, without a crash', () => {
  test('the WebSocket drops right after the mint is sent: the minted token is found by its name and revoked', () => {
    const o = outcome('mint answer lost');
    expect(o.answer?.ok).toBe(false);
    expectInvariants(o, 'rolled-back');
    // Only Home Assistant's list knew the minted token: it was found there, by its name.
    expect(o.settled.rotation?.journal.at(-1)?.minted).toBe('(found by its name)');
  });

  test('SIGTERM while the PutParameter answer is 2.5 s late (the write landed): settles after the restart', () => {
    expectInvariants(outcome('stopped during publish'), 'done');
  });

  test('the PutParameter answer is lost but the write landed: the rotation completes, the old token is revoked after the grace period', () => {
    const o = outcome('publish answer lost');
    expect(o.answer, o.answer?.message).toMatchObject({ ok: true });
    expect(o.answer?.message).toMatch(/the write landed/);
    expectInvariants(o, 'done');
  });
});

describe('upgrading and damage', () => {
  test("the previous release's pending-revocations.json is migrated and revoked when due; a damaged journal line is reported, copied and the rest kept", async () => {
    const parameter = uniqueParameter();
    const live = addons.secret(await ha.mint());
    const replaced = addons.secret(await ha.mint());
    await putToken(moto, parameter, live);
    const dir = await mkdtemp(join(tmpdir(), 'htm-upgrade-'));
    await writeFile(
      join(dir, 'options.json'),
      JSON.stringify(
        ssmAddonOptions(ha.url, ssm.proxy.url, parameter, { rotation_grace_minutes: 1 }),
      ),
    );
    // As the previous release wrote it: a replaced token whose grace period is over.
    await writeFile(
      join(dir, 'pending-revocations.json'),
      JSON.stringify([
        {
          refreshTokenId: issuer(replaced),
          masked: `••••${replaced.slice(-4)}`,
          dueAt: new Date(Date.now() - 1000).toISOString(),
          reason: 'replaced by rotation',
        },
      ]),
    );
    await writeFile(join(dir, 'rotation-journal.jsonl'), '{"credential":"addon","clientNa\n');

    const addon = await addons.start(undefined, { dir });
    const settled = await addon.waitForStatus(
      'the migrated revocation done',
      (s) => s.rotation?.journal.some((j) => j.state === 'done') ?? false,
    );

    expect(await works(replaced)).toBe(false);
    expect(await works(live)).toBe(true);
    expect(settled.rotation?.problems.join('\n')).toMatch(
      /rotation-journal.jsonl is damaged \(line 1 unreadable; a copy is kept as /,
    );
    expect(settled.events.map((e) => e.message).join('\n')).toMatch(/is damaged/);
    expect(addon.output).toMatch(/ERROR .*rotation-journal.jsonl is damaged/);
    const files = await readdir(dir);
    expect(files).toContain('pending-revocations.json.migrated');
    expect(files.some((f) => f.startsWith('rotation-journal.jsonl.damaged-'))).toBe(true);
    expect((await addon.get('/')).body).toMatch(/is damaged/);
  });
});
