// The rotation journal's record: one per rotation, keyed by the credential it
// rotates. It holds ids and masked forms only, never a token's value, so a
// journal that leaks tells nothing usable. The state machine and what is
// written before which side effect: docs/rotation.md.

/** A token as the journal knows it: never its value. */
export interface TokenRef {
  /** The JWT `iss`: the id of the refresh token behind a long-lived token, what HA deletes it by. */
  refreshTokenId: string;
  /** `••••x9Qk`, for the page and the log. */
  masked: string;
  /** Short hash prefix of the value, to tell tokens apart in a report. */
  fingerprint?: string;
  /** Not one of the add-on's user's tokens (an adopted consumer token): never revoked by the add-on. */
  foreign?: boolean;
}

/** Where a rotation stands; each state is written before the side effect that leaves it. */
export type RotationState =
  /** About to ask HA for a token named `clientName`; whether it exists is found by that name. */
  | { kind: 'minting' }
  /** HA minted `minted`; not yet in SSM as far as the journal knows. */
  | { kind: 'minted' }
  /** SSM holds `minted` (since `publishedAt`); the add-on may still use the replaced token. */
  | { kind: 'published'; version?: number; publishedAt: string }
  /** The add-on uses `minted`; `replaced` is revoked at `dueAt` (the grace period's end). */
  | { kind: 'revoking'; dueAt: string }
  /** Finished; `revoked` when the replaced token was revoked (not when it was another user's, or there was none). */
  | { kind: 'done'; revoked?: boolean }
  /** The minted token was revoked (or never made it); SSM and the replaced token are unchanged. */
  | { kind: 'rolled-back' }
  /** Given up without revoking anything more (SSM was changed by someone else); `reason` says why. */
  | { kind: 'abandoned' };

export type StateKind = RotationState['kind'];

export interface RotationRecord {
  /** Which credential this rotates: "addon" is the add-on's own token, "consumer:<name>" a consumer's. */
  credential: string;
  /** The parameter a consumer's token is published to: settles the record after the consumer left the options. */
  target?: string;
  /** Unique per rotation: the client_name the minted token gets in Home Assistant. */
  clientName: string;
  startedAt: string;
  updatedAt: string;
  /** The token in the parameter when the rotation started. */
  replaced?: TokenRef;
  /** The Home Assistant user the mint was sent as: HA's token list is that user's only. */
  haUser?: string;
  /** Known once HA answered the mint (or the token was found by its client_name). */
  minted?: TokenRef;
  state: RotationState;
  /**
   * Set when the last side effect's outcome was unknown (no answer): until
   * then a mint or a PutParameter may still land, so "not there" proves
   * nothing yet (docs/rotation.md, "Lost answers").
   */
  watchUntil?: string;
  /** The last thing worth saying about this record (why it rolled back, what it waits for). */
  note?: string;
}

/** The add-on's own token. */
export const ADDON_CREDENTIAL = 'addon';

/** The journal key of a consumer's token. */
export function consumerCredential(name: string): string {
  return `${CONSUMER_PREFIX}${name}`;
}

const CONSUMER_PREFIX = 'consumer:';

/** The consumer's name in a journal key; undefined for the add-on's own token. */
export function consumerName(credential: string): string | undefined {
  return credential.startsWith(CONSUMER_PREFIX)
    ? credential.slice(CONSUMER_PREFIX.length)
    : undefined;
}

/** How long a record whose side effect lost its answer is watched before "not there" counts. */
export const WATCH_MINUTES = 5;

export const TERMINAL: readonly StateKind[] = ['done', 'rolled-back', 'abandoned'];

export function isTerminal(record: RotationRecord): boolean {
  return TERMINAL.includes(record.state.kind);
}

/** Not terminal and not merely waiting out a grace period: a new rotation of this credential waits for it. */
export function isUnsettled(record: RotationRecord): boolean {
  return !isTerminal(record) && record.state.kind !== 'revoking';
}
