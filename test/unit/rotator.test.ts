import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SourceError } from '../../src/errors.js';
import type { HaConnection } from '../../src/ha/connection.js';
import { RotationJournal } from '../../src/rotation/journal.js';
import type { RotationRecord } from '../../src/rotation/record.js';
import { Rotator } from '../../src/rotation/rotator.js';
import { Job } from '../../src/schedule/job.js';
import { StatusModel } from '../../src/status/status-model.js';
import { Token } from '../../src/tokens/token.js';
import type { TokenManager } from '../../src/tokens/token-manager.js';
import { FakeClock, jwt, memoryLogger } from '../support/fakes.js';

// The Rotator and its settle worker with a fake connection (it records the
// commands it is sent) and a fake parameter. The real parts are in
// test/integration/rotation*.test.ts; here are the faults that are a matter
// of bookkeeping: errors in the worker, refusals, and what is announced.

const OLD = jwt({ iss: 'old-id' }, 'b2xkLXNpZ25hdHVyZS1vbGQtc2lnbmF0dXJl');
const NEW = jwt({ iss: 'new-id' }, 'bmV3LXNpZ25hdHVyZS1uZXctc2lnbmF0dXJl');
const OPTIONS_TOKEN = jwt({ iss: 'options-id' }, 'b3B0aW9ucy1zaWduYXR1cmUtb3B0aW9ucw');

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

async function setup(o: {
  ssm?: string;
  inUse?: string;
  haTokens?: { id: string; client_name: string }[];
  fail?: Record<string, { code: string; message: string }>;
  records?: RotationRecord[];
  connected?: boolean;
  /** The token in use is the access_token fallback: a refresh keeps it. */
  onFallback?: boolean;
  publishFails?: boolean;
  /** Every PutParameter attempt times out on the client; the write lands when the test says. */
  publishLost?: boolean;
  /** The Home Assistant user the connection is authenticated as. */
  user?: string;
}) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'htm-rotator-'));
  if (o.records) {
    const journal = new RotationJournal(dir, clock);
    for (const r of o.records) await journal.put(r);
  }
  const sent: Record<string, unknown>[] = [];
  const ha = { tokens: o.haTokens ?? [] };
  const conn = {
    sendMessagePromise: async (message: Record<string, unknown>) => {
      sent.push(message);
      const failure = o.fail?.[String(message.refresh_token_id ?? message.type)];
      if (failure) throw failure;
      if (message.type === 'auth/refresh_tokens') return ha.tokens;
      if (message.type === 'auth/current_user') return { id: o.user ?? 'user-1' };
      if (message.type === 'auth/delete_refresh_token') {
        ha.tokens = ha.tokens.filter((t) => t.id !== message.refresh_token_id);
        return null;
      }
      return NEW;
    },
  };
  const status = new StatusModel(clock);
  const { log, lines } = memoryLogger();
  let inUse = o.inUse === undefined ? undefined : Token.parse(o.inUse, 'test');
  const parameter = { value: o.ssm ?? OLD };
  let lateWrite: string | undefined;
  const rotator = new Rotator({
    config: { graceMinutes: 15, lifespanDays: 365 },
    connection: {
      connection: o.connected === false ? undefined : conn,
      verify: async () => {},
    } as unknown as HaConnection,
    tokens: {
      peek: () => inUse,
      current: async () => inUse,
      refresh: async () => {
        if (!o.onFallback) inUse = Token.parse(parameter.value, 'test');
        return { ok: true, message: 'refreshed' };
      },
    } as unknown as TokenManager,
    check: async () => {},
    publisher: {
      description: 'SSM parameter /x',
      publish: async (value: string) => {
        if (o.publishFails) throw new Error('AccessDenied: not allowed ssm:PutParameter');
        if (o.publishLost) {
          lateWrite = value;
          throw new SourceError('Timed out writing SSM parameter /x.', { transient: true });
        }
        parameter.value = value;
        return 2;
      },
      read: async () => ({ value: parameter.value }),
    },
    dataDir: dir,
    status,
    log,
    clock,
    checkEveryMs: 60_000,
  });
  const land = () => {
    parameter.value = lateWrite ?? parameter.value;
  };
  return { clock, sent, status, rotator, dir, lines, parameter, ha, land };
}

function record(
  clientName: string,
  state: RotationRecord['state'],
  ids = { old: 'old-id', new: 'new-id' },
): RotationRecord {
  return {
    credential: 'addon',
    clientName,
    startedAt: '2026-11-23T11:00:00.000Z',
    updatedAt: '2026-11-23T11:00:00.000Z',
    replaced: { refreshTokenId: ids.old, masked: `••••${ids.old}` },
    minted: { refreshTokenId: ids.new, masked: `••••${ids.new}` },
    state,
  };
}

const DUE = { kind: 'revoking', dueAt: '2026-11-23T11:30:00.000Z' } as const;

describe('Rotator', () => {
  test('happy path: mint, publish, switch; the old token is pending until the grace period ends, then revoked', async () => {
    const { rotator, status, sent, clock, parameter, ha } = await setup({
      inUse: OLD,
      haTokens: [{ id: 'old-id', client_name: 'first' }],
    });
    await rotator.start();
    const outcome = await rotator.rotate('manual');
    ha.tokens.push({ id: 'new-id', client_name: 'x' });

    expect(outcome, outcome.message).toMatchObject({ ok: true });
    expect(parameter.value).toBe(NEW);
    expect(status.snapshot().rotation?.pending).toEqual([
      { masked: `••••${OLD.slice(-4)}`, dueAt: '2026-11-23T12:15:00.000Z' },
    ]);
    clock.advance(15 * 60_000);
    await rotator.settle();
    expect(sent.filter((m) => m.type === 'auth/delete_refresh_token')).toEqual([
      { type: 'auth/delete_refresh_token', refresh_token_id: 'old-id' },
    ]);
    expect(status.snapshot().rotation?.journal.at(-1)?.state).toBe('done');
    await rotator.stop();
  });

  // Issue 9, defect 1: a record whose new token is already in SSM and in use
  // (killed at the switch, or a refresh after a lost PutParameter answer) was
  // skipped for ever and listed the live token as pending.
  test('an interrupted rotation whose new token landed in SSM and is in use settles, and the live token is never pending', async () => {
    const { rotator, status } = await setup({
      ssm: NEW,
      inUse: NEW,
      haTokens: [
        { id: 'old-id', client_name: 'a' },
        { id: 'new-id', client_name: 'b' },
      ],
      records: [record('b', { kind: 'minted' })],
    });
    await rotator.start();
    await rotator.settle();

    const r = status.snapshot().rotation;
    expect(r?.journal.at(-1)?.state).toBe('revoking');
    expect(r?.pending).toEqual([{ masked: '••••old-id', dueAt: expect.any(String) }]);
    expect((await rotator.rotate('manual')).ok).toBe(true); // not blocked
    await rotator.stop();
  });

  // Issue 9, defect 3.
  test('on the access_token fallback, rotation is refused with the reason and nothing is minted', async () => {
    const { rotator, sent } = await setup({ ssm: OLD, inUse: OPTIONS_TOKEN, onFallback: true });
    await rotator.start();
    // The fallback stays in use: the refresh before the refusal does not change it.
    const outcome = await rotator.rotate('manual');

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(
      /the add-on uses token ••••.{4}, not the token ••••.{4} in SSM parameter \/x \(the access_token fallback/,
    );
    expect(sent.some((m) => m.type === 'auth/long_lived_access_token')).toBe(false);
    await rotator.stop();
  });

  // Issue 9, defect 9.
  test('a revocation that fails is logged once with what was being done, and does not stop later records', async () => {
    const { rotator, sent, lines, status } = await setup({
      ssm: NEW,
      inUse: NEW,
      haTokens: [
        { id: 'old-a', client_name: 'a' },
        { id: 'old-b', client_name: 'b' },
      ],
      fail: { 'old-a': { code: 'home_assistant_error', message: 'boom' } },
      records: [
        record('a', DUE, { old: 'old-a', new: 'new-id' }),
        record('b', DUE, { old: 'old-b', new: 'new-id' }),
      ],
    });
    await rotator.start();
    await rotator.settle();
    await rotator.settle();
    await rotator.settle();

    expect(unhandled).toEqual([]);
    expect(sent.filter((m) => m.refresh_token_id === 'old-b')).toHaveLength(1);
    const failures = lines.filter((l) => l.includes('could not revoke ••••old-a'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /Rotation "a" \(revoking\): could not revoke ••••old-a: .*home_assistant_error/,
    );
    expect(status.snapshot().rotation?.journal.map((j) => j.state)).toEqual(['revoking', 'done']);
    await rotator.stop();
  });

  test('a read-only DATA_DIR: the failed journal write is logged with its context, no unhandled rejection', async () => {
    const { rotator, dir, lines, status } = await setup({
      ssm: NEW,
      inUse: NEW,
      haTokens: [{ id: 'old-id', client_name: 'a' }],
      records: [record('a', DUE)],
    });
    await rotator.start();
    // Tests run as root, which file modes do not stop: a directory where the
    // journal file should be makes every write fail the same way.
    await rm(join(dir, 'rotation-journal.jsonl'));
    await mkdir(join(dir, 'rotation-journal.jsonl'));
    await rotator.settle();
    await rotator.settle();
    await rotator.settle();

    expect(unhandled).toEqual([]);
    const failures = lines.filter((l) => l.includes('Rotation "a"'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /WARNING Rotation "a" \(revoking\): could not record "done" in the journal: JournalWriteError: Could not write the rotation journal .*rotation-journal.jsonl \(EISDIR\)/,
    );
    // What is shown is what is on disk.
    expect(status.snapshot().rotation?.journal.at(-1)?.state).toBe('revoking');
    await rotator.stop();
  });

  test('a rotation asked for before the journal is read waits for it, and keeps its unfinished records', async () => {
    const { rotator, sent, dir, clock } = await setup({
      inUse: OLD,
      records: [record('earlier', { kind: 'minting' })],
      fail: { 'auth/refresh_tokens': { code: 'timeout', message: 'no answer' } },
    });
    const early = rotator.rotate('manual');
    await rotator.start();
    const outcome = await early;

    expect(outcome.message).toMatch(/earlier rotation \("earlier", minting\) is not settled/);
    expect(sent.filter((m) => m.type === 'auth/long_lived_access_token')).toEqual([]);
    const again = new RotationJournal(dir, clock);
    await again.load();
    expect(again.records.map((r) => r.clientName)).toEqual(['earlier']);
    await rotator.stop();
  });

  test('a PutParameter that timed out but lands later: the new token is kept, not revoked', async () => {
    const { rotator, sent, clock, land, parameter, status } = await setup({
      inUse: OLD,
      publishLost: true,
      haTokens: [{ id: 'old-id', client_name: 'first' }],
    });
    await rotator.start();
    const outcome = await rotator.rotate('manual');

    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/Not settled yet \(minted\).*a late write/);
    land(); // the write arrives at SSM after the look
    clock.advance(60_000);
    await rotator.settle();

    expect(parameter.value).toBe(NEW);
    expect(sent.filter((m) => m.type === 'auth/delete_refresh_token')).toEqual([]);
    expect(status.snapshot().rotation?.journal.at(-1)?.state).toBe('revoking');
    await rotator.stop();
  });

  test("another user's token list proves nothing: the record waits and says why", async () => {
    const { rotator, status, sent } = await setup({
      inUse: OLD,
      user: 'user-2',
      records: [{ ...record('earlier', { kind: 'minting' }), minted: undefined, haUser: 'user-1' }],
      haTokens: [{ id: 'old-id', client_name: 'first' }],
    });
    await rotator.start();
    await rotator.settle();

    const shown = status.snapshot().rotation?.journal.at(-1);
    expect(shown?.state).toBe('minting');
    expect(shown?.waitingFor).toMatch(/user user-2, not user-1/);
    expect(sent.filter((m) => m.type === 'auth/delete_refresh_token')).toEqual([]);
    await rotator.stop();
  });

  test('a lost mint that shows up late is revoked at once: no wait for a write that was never sent', async () => {
    const lost = { code: 3, message: 'Connection lost' } as unknown as {
      code: string;
      message: string;
    };
    const { rotator, sent, status, ha } = await setup({
      inUse: OLD,
      fail: { 'auth/long_lived_access_token': lost },
      haTokens: [{ id: 'old-id', client_name: 'first' }],
    });
    await rotator.start();
    await rotator.rotate('manual');
    const shown = () => status.snapshot().rotation?.journal.at(-1);
    expect(shown()?.waitingFor).toMatch(/a late mint/);

    ha.tokens.push({ id: 'new-id', client_name: shown()?.clientName as string }); // it lands
    await rotator.settle();

    expect(shown()?.state).toBe('rolled-back');
    expect(sent).toContainEqual({ type: 'auth/delete_refresh_token', refresh_token_id: 'new-id' });
    await rotator.stop();
  });

  // Issue 9, defect 15 (part): the Job and the Rotator both announced a failed scheduled run.
  test('a failed scheduled rotation is announced once', async () => {
    const { rotator, status, clock } = await setup({ inUse: OLD, connected: false });
    await rotator.start();
    const job = new Job({
      name: 'rotation',
      expression: '0 0 1 1 *',
      run: () => rotator.rotate('schedule'),
      status,
      log: memoryLogger().log,
      clock,
    });
    const before = status.snapshot().events.length;
    const outcome = await job.run('schedule');

    expect(outcome.ok).toBe(false);
    expect(
      status.snapshot().events.slice(0, status.snapshot().events.length - before),
    ).toHaveLength(1);
    await job.stop();
    await rotator.stop();
  });

  test('a scheduled rotation that is rolled back: one warning, after the step events', async () => {
    const { rotator, status, clock, sent, lines } = await setup({
      inUse: OLD,
      publishFails: true,
      haTokens: [
        { id: 'old-id', client_name: 'first' },
        { id: 'new-id', client_name: 'x' },
      ],
    });
    await rotator.start();
    const job = new Job({
      name: 'rotation',
      expression: '0 0 1 1 *',
      run: () => rotator.rotate('schedule'),
      status,
      log: memoryLogger().log,
      clock,
    });
    const before = status.snapshot().events.length;
    const outcome = await job.run('schedule');
    const events = status.snapshot().events.slice(0, status.snapshot().events.length - before);

    expect(outcome.message).toMatch(/AccessDenied[\s\S]*the new token was revoked/);
    expect(sent).toContainEqual({ type: 'auth/delete_refresh_token', refresh_token_id: 'new-id' });
    expect(events.filter((e) => e.level !== 'info')).toHaveLength(1);
    expect(lines.filter((l) => / (WARNING|ERROR) /.test(l))).toEqual([]);
    await job.stop();
    await rotator.stop();
  });
});
