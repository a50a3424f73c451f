import type { RotationRecord, RotationState, TokenRef } from './record.js';
import { isTerminal } from './record.js';

// Recovery: the one decision of what a rotation does next. It is a pure
// function of the journal's record and what the world holds now, and it is the
// only path that moves a rotation past an uncertain point — after a crash, after
// a lost answer, and after a side effect that went well alike. The table it
// implements is in docs/rotation.md ("Recovery").

/** What the add-on can see now. `'unknown'` when that part did not answer. */
export interface World {
  now: number;
  /** The refresh-token id of the token in the parameter (undefined: a token without one). */
  ssm: { refreshTokenId: string | undefined } | 'unknown';
  /** The user's refresh tokens in Home Assistant (`auth/refresh_tokens`). */
  ha: readonly { id: string; clientName: string | null }[] | 'unknown';
  /** The user the live socket is authenticated as (whose tokens `ha` lists); undefined: not known. */
  haUser?: string;
  /** The refresh-token id of the token the add-on uses now. */
  inUse: string | undefined;
  /**
   * Refresh-token ids another credential holds (the add-on's connection,
   * another consumer's parameter), each with who holds it: never revoked
   * while held — the same token may be adopted by two consumers.
   */
  heldElsewhere?: ReadonlyMap<string, string>;
  graceMinutes: number;
}

/** A new state for the record, written before anything else happens. */
export interface Transition {
  state: RotationState;
  minted?: TokenRef;
  note: string;
}

export type Action =
  /** Nothing to do yet; ask again later (`until`: not before then). */
  | { kind: 'wait'; reason: string; until?: string }
  /** Write the record's next state; no side effect. */
  | { kind: 'record'; next: Transition }
  /** Delete this refresh token in Home Assistant, then write `next`. */
  | { kind: 'revoke'; token: TokenRef; next: Transition }
  /** Make the add-on read SSM again and use the token there (the new one). */
  | { kind: 'switch'; reason: string }
  /** The record is finished. */
  | { kind: 'none' };

export function recover(record: RotationRecord, seen: World): Action {
  if (isTerminal(record)) return { kind: 'none' };
  // Another user's list says nothing about this record's tokens: not "gone", unknown.
  const otherUser =
    record.haUser !== undefined && seen.ha !== 'unknown' && seen.haUser !== record.haUser;
  const world: World = otherUser ? { ...seen, ha: 'unknown' } : seen;
  const action = decide(record, world);
  if (!otherUser || action.kind !== 'wait') return action;
  return {
    ...action,
    reason: `${action.reason} The connection is Home Assistant user ${seen.haUser ?? '(unknown)'}, not ${record.haUser} who minted this rotation's token, and Home Assistant lists and revokes only the caller's own tokens.`,
  };
}

function decide(record: RotationRecord, world: World): Action {
  const { state } = record;
  switch (state.kind) {
    case 'minting':
      return recoverMinting(record, world);
    case 'minted':
      return recoverMinted(record, world);
    case 'published':
      return recoverPublished(record, state, world);
    case 'revoking':
      return recoverRevoking(record, state, world);
  }
  return { kind: 'none' };
}

/** A mint was sent; its answer may be lost. HA's token list says whether it happened. */
function recoverMinting(record: RotationRecord, world: World): Action {
  if (world.ha === 'unknown')
    return wait(`Home Assistant's token list, to see whether "${record.clientName}" was minted`);
  const found = world.ha.find((t) => t.clientName === record.clientName);
  if (!found) {
    // A mint frame still in a dropped socket's buffer may reach HA after a reconnect.
    if (watching(record, world))
      return wait(
        `a late mint: the answer for "${record.clientName}" was lost, so Home Assistant may still mint it`,
        record.watchUntil,
      );
    return to(
      { kind: 'rolled-back' },
      `Home Assistant has no token named "${record.clientName}": nothing was minted.`,
    );
  }
  return {
    kind: 'record',
    next: {
      state: { kind: 'minted' },
      minted: { refreshTokenId: found.id, masked: '(found by its name)' },
      note: `Found the token "${record.clientName}" that was minted although its answer was lost.`,
    },
  };
}

/** Minted, perhaps published (the answer to PutParameter may be lost): SSM says which. */
function recoverMinted(record: RotationRecord, world: World): Action {
  const minted = record.minted;
  if (!minted) return to({ kind: 'abandoned' }, 'The record names no minted token.');
  if (world.ssm === 'unknown') return wait('SSM, to see whether it holds the new token');
  if (world.ssm.refreshTokenId === minted.refreshTokenId) {
    return to(
      { kind: 'published', publishedAt: new Date(world.now).toISOString() },
      `SSM holds the new token ${minted.masked}.`,
    );
  }
  // A PutParameter whose every attempt timed out on the client may still land.
  if (watching(record, world))
    return wait(
      `a late write: the answer from SSM was lost, so the new token ${minted.masked} may still land there`,
      record.watchUntil,
    );
  // The publish did not land, or never happened: the token value is not kept
  // anywhere, so it can never be published now. It must not live on.
  return revokeIfPresent(
    minted,
    world,
    { kind: 'rolled-back' },
    `SSM does not hold the new token ${minted.masked}: the new token was revoked; SSM and the current token are unchanged.`,
  );
}

function recoverPublished(
  record: RotationRecord,
  state: Extract<RotationState, { kind: 'published' }>,
  world: World,
): Action {
  const minted = record.minted;
  if (!minted) return to({ kind: 'abandoned' }, 'The record names no minted token.');
  if (world.ssm === 'unknown') return wait('SSM, to confirm it still holds the new token');
  if (world.ssm.refreshTokenId !== minted.refreshTokenId) {
    // Someone wrote the parameter since: the new token is nobody's any more.
    return revokeIfPresent(
      minted,
      world,
      { kind: 'abandoned' },
      `SSM no longer holds the new token ${minted.masked} (the parameter was written by someone else): the new token was revoked, the replaced one left as it is.`,
    );
  }
  if (world.inUse !== minted.refreshTokenId)
    return { kind: 'switch', reason: `SSM holds the new token ${minted.masked}` };
  const replaced = record.replaced;
  if (!replaced || replaced.refreshTokenId === minted.refreshTokenId)
    return to({ kind: 'done' }, `Using ${minted.masked}; there is no older token to revoke.`);
  const dueAt = new Date(Date.parse(state.publishedAt) + world.graceMinutes * 60_000);
  return to(
    { kind: 'revoking', dueAt: dueAt.toISOString() },
    `Using ${minted.masked}; ${replaced.masked} keeps working until ${dueAt.toISOString()}, then it is revoked.`,
  );
}

function recoverRevoking(
  record: RotationRecord,
  state: Extract<RotationState, { kind: 'revoking' }>,
  world: World,
): Action {
  if (world.now < Date.parse(state.dueAt)) return wait('the end of the grace period', state.dueAt);
  const replaced = record.replaced;
  if (!replaced) return to({ kind: 'done' }, 'There is no older token to revoke.');
  if (world.ssm === 'unknown') return wait('SSM, to make sure it does not hold the old token');
  if (world.ssm.refreshTokenId === replaced.refreshTokenId) {
    return to(
      { kind: 'abandoned' },
      `SSM holds the replaced token ${replaced.masked} again (written by someone else): it is not revoked.`,
    );
  }
  if (replaced.foreign) {
    // Adopted from another user: the add-on's user cannot delete it, and must not try.
    return to(
      { kind: 'done' },
      `The replaced token ${replaced.masked} belongs to another Home Assistant user: not revoked. Revoke it in that user's profile (Security → Long-lived access tokens).`,
    );
  }
  return revokeIfPresent(
    replaced,
    world,
    { kind: 'done', revoked: true },
    `Revoked the replaced token ${replaced.masked}.`,
  );
}

/** Never the token in use, the one in SSM, nor one another credential holds; a token HA no longer has needs no request. */
function revokeIfPresent(
  token: TokenRef,
  world: World,
  state: RotationState,
  note: string,
): Action {
  if (token.refreshTokenId === world.inUse)
    return wait(
      `the add-on to stop using ${token.masked} (it reads SSM again on its next refresh)`,
    );
  if (world.ssm !== 'unknown' && world.ssm.refreshTokenId === token.refreshTokenId)
    return wait(`SSM to stop holding ${token.masked}`);
  const holder = world.heldElsewhere?.get(token.refreshTokenId);
  if (holder !== undefined)
    return wait(
      `${holder} to stop holding ${token.masked}: it is the same token, still in use there`,
    );
  if (world.ha === 'unknown') return wait(`Home Assistant, to revoke ${token.masked}`);
  if (!world.ha.some((t) => t.id === token.refreshTokenId))
    return to(state, `${note} (Home Assistant no longer had it.)`);
  return { kind: 'revoke', token, next: { state, note } };
}

/** Within the watch after an unknown outcome: what is not there yet may still come. */
function watching(record: RotationRecord, world: World): boolean {
  return record.watchUntil !== undefined && world.now < Date.parse(record.watchUntil);
}

function to(state: RotationState, note: string): Action {
  return { kind: 'record', next: { state, note } };
}

function wait(what: string, until?: string): Action {
  const end = until ? ` (until ${until})` : '';
  return { kind: 'wait', reason: `Waiting for ${what}${end}.`, until };
}
