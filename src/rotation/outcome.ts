import { SourceError } from '../errors.js';
import { HaCommandError, HaCommandUnknownError } from '../ha/auth-commands.js';
import { messageOf } from '../log.js';
import type { JobOutcome } from '../schedule/job.js';
import { Token } from '../tokens/token.js';
import type { TokenManager } from '../tokens/token-manager.js';
import type { RotationRecord } from './record.js';

// Before a rotation, the token it replaces; after it, what it answers (POST /api/rotate, the rotation Job): where its
// record ended after the settle pass, in words (docs/rotation.md).

/** The token to replace: what SSM holds, and only if the add-on uses it. */
export async function tokenToReplace(
  publisher: { read(): Promise<{ value: string }>; description: string },
  tokens: Pick<TokenManager, 'peek' | 'refresh'>,
): Promise<Token | string> {
  let inSsm: Token;
  try {
    inSsm = Token.parse((await publisher.read()).value, publisher.description);
  } catch (error) {
    return `Cannot rotate: ${messageOf(error)} Rotation replaces the token in ${publisher.description}, so it must read it first.`;
  }
  if (!tokens.peek()?.equals(inSsm)) await tokens.refresh({ fresh: true });
  const inUse = tokens.peek();
  if (!inUse?.equals(inSsm)) {
    // On the access_token fallback, the token in use is not the one SSM holds:
    // rotating would queue the wrong token for revocation.
    return `Cannot rotate: the add-on uses ${inUse ? `token ${inUse.masked}` : 'no token'}, not the token ${inSsm.masked} in ${publisher.description}${inUse ? ' (the access_token fallback, or a token Home Assistant rejected)' : ''}. Rotation replaces the token in SSM, and only once the add-on uses it.`;
  }
  if (!inSsm.refreshTokenId) {
    return `Cannot rotate: the token in ${publisher.description} has no refresh-token id, so it could not be revoked afterwards.`;
  }
  return inSsm;
}

export interface OutcomeInput {
  record: RotationRecord | undefined;
  /** What the record waits for, when it is not settled. */
  waiting: string | undefined;
  /** Why the sequence stopped early (mint, verification or publish failed). */
  failure: string | undefined;
  minted?: Token;
  version?: number;
}

export function rotationOutcome(i: OutcomeInput): JobOutcome {
  const { record, waiting, failure, minted, version } = i;
  const state = record?.state.kind;
  const note = record?.note ?? '';
  if (state === 'revoking' || state === 'done') {
    // Only a publish whose answer was lost gets here with a failure.
    const lost = failure ? ` (${failure}; but the write landed: SSM holds the new token)` : '';
    const v = version === undefined ? '' : ` (version ${version})`;
    return {
      ok: true,
      message: `Rotated to token ${minted?.masked ?? record?.minted?.masked}${v}${lost}; ${note}`,
    };
  }
  // Failure messages are sentences already (ssm-errors.ts): one full stop, not two.
  const head = failure ? `${failure.replace(/\.$/, '')}. ` : '';
  if (state === 'rolled-back' || state === 'abandoned')
    return { ok: false, message: `${head}${note}` };
  if (state === 'published') {
    return {
      ok: false,
      message: `${head}SSM holds the new token ${minted?.masked}, but the add-on has not switched to it yet: ${waiting ?? ''} It keeps trying.`,
    };
  }
  return {
    ok: false,
    message: `${head}Not settled yet (${state}): ${waiting ?? note} The add-on settles it as soon as Home Assistant and SSM answer: it keeps the new token if SSM holds it, and revokes it otherwise.`,
  };
}

export function mintFailure(error: unknown): string {
  const detail = messageOf(error);
  if (error instanceof HaCommandError && error.code === 'unknown_error') {
    return (
      `Home Assistant refused to mint a long-lived token (${detail}). The managed token must belong to a normal user: ` +
      "Home Assistant's system users (such as the Supervisor's) cannot own long-lived tokens. Create a dedicated user " +
      '(Settings → People → Users), create a long-lived token as that user, and store it in the parameter.'
    );
  }
  return `Could not mint a new token: ${detail}`;
}

/**
 * No answer came (a lost connection, a timeout, throttling): the side effect
 * may still land, so its record is watched for a while before "not there"
 * counts (docs/rotation.md, "Lost answers").
 */
export function outcomeUnknown(error: unknown): boolean {
  return (
    error instanceof HaCommandUnknownError || (error instanceof SourceError && error.transient)
  );
}
