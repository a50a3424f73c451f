import { describe, expect, test } from 'vitest';
import type { RotationRecord, RotationState, TokenRef } from '../../src/rotation/record.js';
import { type Action, recover, type World } from '../../src/rotation/recovery.js';

// recover() is the one decision of what a rotation does next (docs/rotation.md,
// "Recovery"): every state against every world it can meet.

const NOW = Date.parse('2026-11-23T12:00:00Z');
const OLD = { refreshTokenId: 'old-id', masked: '••••OLD1' };
const NEW = { refreshTokenId: 'new-id', masked: '••••NEW1' };
const NAME = 'HA Token Manager 2026-11-23T11:59:00.000Z';

const STATES: Record<string, RotationState> = {
  minting: { kind: 'minting' },
  minted: { kind: 'minted' },
  published: { kind: 'published', version: 2, publishedAt: new Date(NOW - 30_000).toISOString() },
  'revoking (due)': { kind: 'revoking', dueAt: new Date(NOW - 1).toISOString() },
  'revoking (not due)': { kind: 'revoking', dueAt: new Date(NOW + 60_000).toISOString() },
  done: { kind: 'done' },
  'rolled-back': { kind: 'rolled-back' },
  abandoned: { kind: 'abandoned' },
};

function record(state: RotationState): RotationRecord {
  return {
    credential: 'addon',
    clientName: NAME,
    startedAt: new Date(NOW - 60_000).toISOString(),
    updatedAt: new Date(NOW - 60_000).toISOString(),
    replaced: OLD,
    minted: state.kind === 'minting' ? undefined : NEW,
    state,
  };
}

const SSM: Record<string, World['ssm']> = {
  unknown: 'unknown',
  new: { refreshTokenId: NEW.refreshTokenId },
  old: { refreshTokenId: OLD.refreshTokenId },
  other: { refreshTokenId: 'someone-elses' },
};
const HA: Record<string, World['ha']> = {
  unknown: 'unknown',
  both: [
    { id: OLD.refreshTokenId, clientName: 'first' },
    { id: NEW.refreshTokenId, clientName: NAME },
  ],
  'old only': [{ id: OLD.refreshTokenId, clientName: 'first' }],
  'new only': [{ id: NEW.refreshTokenId, clientName: NAME }],
};
const IN_USE: Record<string, string | undefined> = {
  old: OLD.refreshTokenId,
  new: NEW.refreshTokenId,
  none: undefined,
};

/** An action in a few words: "wait", "none", "switch", "record done", "revoke new → rolled-back". */
function summary(action: Action): string {
  switch (action.kind) {
    case 'wait':
    case 'none':
    case 'switch':
      return action.kind;
    case 'record':
      return `record ${action.next.state.kind}`;
    case 'revoke':
      return `revoke ${action.token.refreshTokenId === NEW.refreshTokenId ? 'new' : 'old'} → ${action.next.state.kind}`;
  }
}

function decide(state: string, ssm: string, ha: string, inUse: string): Action {
  return recover(record(STATES[state] as RotationState), {
    now: NOW,
    ssm: SSM[ssm] as World['ssm'],
    ha: HA[ha] as World['ha'],
    inUse: IN_USE[inUse],
    graceMinutes: 1,
  });
}

// [state, SSM holds, HA has, add-on uses, what recover() does]
const TABLE: [string, string, string, string, string][] = [
  // minting: HA's list, by client_name, says whether the mint happened.
  ['minting', 'old', 'unknown', 'old', 'wait'],
  ['minting', 'old', 'old only', 'old', 'record rolled-back'],
  ['minting', 'old', 'both', 'old', 'record minted'],
  ['minting', 'unknown', 'both', 'old', 'record minted'],
  // minted: SSM says whether the publish landed (its answer may be lost).
  ['minted', 'unknown', 'both', 'old', 'wait'],
  ['minted', 'new', 'both', 'old', 'record published'],
  ['minted', 'new', 'unknown', 'new', 'record published'],
  ['minted', 'old', 'both', 'old', 'revoke new → rolled-back'],
  ['minted', 'old', 'old only', 'old', 'record rolled-back'],
  ['minted', 'old', 'unknown', 'old', 'wait'],
  ['minted', 'other', 'both', 'old', 'revoke new → rolled-back'],
  ['minted', 'old', 'both', 'new', 'wait'],
  // published: switch, then the grace period.
  ['published', 'unknown', 'both', 'old', 'wait'],
  ['published', 'new', 'both', 'old', 'switch'],
  ['published', 'new', 'unknown', 'none', 'switch'],
  ['published', 'new', 'both', 'new', 'record revoking'],
  ['published', 'new', 'unknown', 'new', 'record revoking'],
  ['published', 'other', 'both', 'old', 'revoke new → abandoned'],
  ['published', 'old', 'both', 'old', 'revoke new → abandoned'],
  ['published', 'other', 'both', 'new', 'wait'],
  ['published', 'other', 'old only', 'old', 'record abandoned'],
  // revoking: only when due, never what SSM holds or the add-on uses.
  ['revoking (not due)', 'unknown', 'unknown', 'new', 'wait'],
  ['revoking (not due)', 'new', 'both', 'new', 'wait'],
  ['revoking (due)', 'new', 'both', 'new', 'revoke old → done'],
  ['revoking (due)', 'new', 'new only', 'new', 'record done'],
  ['revoking (due)', 'unknown', 'both', 'new', 'wait'],
  ['revoking (due)', 'new', 'unknown', 'new', 'wait'],
  ['revoking (due)', 'old', 'both', 'old', 'record abandoned'],
  ['revoking (due)', 'new', 'both', 'old', 'wait'],
  ['revoking (due)', 'other', 'both', 'new', 'revoke old → done'],
  // finished records stay finished.
  ['done', 'new', 'both', 'new', 'none'],
  ['rolled-back', 'old', 'both', 'old', 'none'],
  ['abandoned', 'unknown', 'unknown', 'none', 'none'],
];

describe('recover()', () => {
  test.each(TABLE)(
    '%s, SSM holds %s, HA has %s, the add-on uses %s: %s',
    (state, ssm, ha, inUse, expected) => {
      expect(summary(decide(state, ssm, ha, inUse))).toBe(expected);
    },
  );

  // Every combination, for what must hold whatever the table says.
  const all = Object.keys(STATES).flatMap((state) =>
    Object.keys(SSM).flatMap((ssm) =>
      Object.keys(HA).flatMap((ha) => Object.keys(IN_USE).map((inUse) => [state, ssm, ha, inUse])),
    ),
  ) as [string, string, string, string][];

  test.each(all)(
    '%s, SSM %s, HA %s, in use %s: never revokes the token in use or in SSM, nor without HA',
    (state, ssm, ha, inUse) => {
      const action = decide(state, ssm, ha, inUse);
      if (action.kind !== 'revoke') return;
      expect(action.token.refreshTokenId).not.toBe(IN_USE[inUse]);
      const held = SSM[ssm];
      expect(held).not.toBe('unknown');
      if (held !== 'unknown') expect(action.token.refreshTokenId).not.toBe(held?.refreshTokenId);
      // Only a token HA still has is revoked; a gone one is recorded as such.
      expect(HA[ha]).not.toBe('unknown');
    },
  );

  test('the grace period runs from the publish, so a restart long after it revokes at once', () => {
    const action = decide('published', 'new', 'both', 'new');
    expect(action).toMatchObject({
      kind: 'record',
      next: { state: { kind: 'revoking', dueAt: new Date(NOW - 30_000 + 60_000).toISOString() } },
    });
  });

  test('a token found by its name becomes the minted token of the record', () => {
    expect(decide('minting', 'old', 'both', 'old')).toMatchObject({
      next: { minted: { refreshTokenId: NEW.refreshTokenId } },
    });
  });

  // Issue 9, defect 1: the old worker skipped a record whose new token was
  // already in use, before looking at SSM, so it never settled.
  test('an interrupted rotation whose new token is in SSM and in use settles', () => {
    expect(summary(decide('minted', 'new', 'both', 'new'))).toBe('record published');
    expect(summary(decide('published', 'new', 'both', 'new'))).toBe('record revoking');
  });
  // A lost answer: the mint or the PutParameter may still land after the look.
  describe('within the watch after an unknown outcome', () => {
    const watched = (state: RotationState, watchUntil: number) => ({
      ...record(state),
      watchUntil: new Date(watchUntil).toISOString(),
    });
    const world = (ssm: string, ha: string, inUse = 'old'): World => ({
      now: NOW,
      ssm: SSM[ssm] as World['ssm'],
      ha: HA[ha] as World['ha'],
      inUse: IN_USE[inUse],
      graceMinutes: 1,
    });

    test('a mint not in HA yet is waited for, not rolled back; after the watch it is', () => {
      const during = recover(watched({ kind: 'minting' }, NOW + 60_000), world('old', 'old only'));
      expect(during).toMatchObject({ kind: 'wait', reason: expect.stringMatching(/a late mint/) });
      const after = recover(watched({ kind: 'minting' }, NOW - 1), world('old', 'old only'));
      expect(summary(after)).toBe('record rolled-back');
      const found = recover(watched({ kind: 'minting' }, NOW + 60_000), world('old', 'both'));
      expect(summary(found)).toBe('record minted');
    });

    test('a publish not in SSM yet is waited for, not revoked; one that lands is kept', () => {
      const during = recover(watched({ kind: 'minted' }, NOW + 60_000), world('old', 'both'));
      expect(during).toMatchObject({ kind: 'wait', reason: expect.stringMatching(/a late write/) });
      const landed = recover(watched({ kind: 'minted' }, NOW + 60_000), world('new', 'both'));
      expect(summary(landed)).toBe('record published');
      const after = recover(watched({ kind: 'minted' }, NOW - 1), world('old', 'both'));
      expect(summary(after)).toBe('revoke new → rolled-back');
    });
  });
  test("another user's list is not this record's: wait and say why, never conclude gone", () => {
    const r = { ...record({ kind: 'minting' }), haUser: 'user-1' };
    const w: World = {
      now: NOW,
      ssm: 'unknown',
      ha: HA['old only'] as World['ha'],
      haUser: 'user-2',
      inUse: OLD.refreshTokenId,
      graceMinutes: 1,
    };
    expect(recover(r, w)).toMatchObject({
      kind: 'wait',
      reason: expect.stringMatching(/user user-2, not user-1/),
    });
    expect(summary(recover(r, { ...w, haUser: 'user-1' }))).toBe('record rolled-back');
  });
});

describe('a consumer credential', () => {
  const consumer = (state: RotationState, replaced: TokenRef = OLD): RotationRecord => ({
    ...record(state),
    credential: 'consumer:alexa',
    target: '/c/alexa',
    replaced,
  });
  // For a consumer "in use" is what its parameter holds: the settle worker passes that.
  const world = (ssm: World['ssm'], ha: World['ha'] = HA.both as World['ha']): World => ({
    now: NOW,
    ssm,
    ha,
    inUse: ssm === 'unknown' ? undefined : ssm.refreshTokenId,
    graceMinutes: 1,
  });

  test('published: nothing to switch — straight to revoking the replaced token after the grace period', () => {
    const action = recover(
      consumer(STATES.published as RotationState),
      world(SSM.new as World['ssm']),
    );
    expect(action).toMatchObject({ kind: 'record', next: { state: { kind: 'revoking' } } });
  });

  test('a first issue (nothing replaced) is done once published', () => {
    const action = recover(
      { ...consumer(STATES.published as RotationState), replaced: undefined },
      world(SSM.new as World['ssm']),
    );
    expect(action).toMatchObject({ kind: 'record', next: { state: { kind: 'done' } } });
  });

  test("another user's token it replaced is never revoked, and the note says so", () => {
    const action = recover(
      consumer(STATES['revoking (due)'] as RotationState, { ...OLD, foreign: true }),
      world(SSM.new as World['ssm']),
    );
    expect(action.kind).toBe('record');
    if (action.kind !== 'record') return;
    expect(action.next.state).toEqual({ kind: 'done' });
    expect(action.next.note).toMatch(/belongs to another Home Assistant user: not revoked/);
  });

  test('the replaced token revoked after the grace period: done says it was revoked (the bus event reads it)', () => {
    const action = recover(
      consumer(STATES['revoking (due)'] as RotationState),
      world(SSM.new as World['ssm']),
    );
    expect(action).toMatchObject({
      kind: 'revoke',
      token: OLD,
      next: { state: { kind: 'done', revoked: true } },
    });
  });

  test('a minted token whose publish did not land into a missing parameter is revoked (rolled back)', () => {
    const action = recover(
      consumer(STATES.minted as RotationState),
      world({ refreshTokenId: undefined }),
    );
    expect(action).toMatchObject({
      kind: 'revoke',
      token: NEW,
      next: { state: { kind: 'rolled-back' } },
    });
  });
});

describe('recover() with a token another credential holds', () => {
  const holder = 'consumer a (SSM parameter /a)';
  const world = (held: ReadonlyMap<string, string>): World => ({
    now: NOW,
    ssm: { refreshTokenId: NEW.refreshTokenId },
    ha: HA.both as World['ha'],
    inUse: NEW.refreshTokenId,
    heldElsewhere: held,
    graceMinutes: 1,
  });

  test('the replaced token is not revoked while another consumer holds it; the wait names it', () => {
    const due = record(STATES['revoking (due)'] as RotationState);
    const action = recover(due, world(new Map([[OLD.refreshTokenId, holder]])));
    expect(action.kind).toBe('wait');
    expect(action.kind === 'wait' && action.reason).toContain(holder);
  });

  test('once nobody else holds it, it is revoked', () => {
    const due = record(STATES['revoking (due)'] as RotationState);
    expect(summary(recover(due, world(new Map([['unrelated', holder]]))))).toBe(
      'revoke old → done',
    );
  });
});
