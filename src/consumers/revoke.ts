import { deleteRefreshToken, HaCommandError } from '../ha/auth-commands.js';
import type { HaConnection } from '../ha/connection.js';
import { describeError } from '../log.js';
import { type Holder, heldElsewhere } from '../rotation/holders.js';
import { consumerCredential } from '../rotation/record.js';
import type { JobOutcome } from '../schedule/job.js';
import type { ConsumerMemory } from './memory.js';
import type { Seen } from './report.js';

// "Revoke" on the page (docs/rotation.md, "Consumers"): deletes a consumer's
// current token in Home Assistant — never one another credential still holds
// ("Shared tokens") nor another user's. The manager reports and refreshes.

export interface RevokeInput {
  name: string;
  configured: boolean;
  memory: ConsumerMemory;
  seen: Map<string, Seen>;
  /** Every credential's current token (Rotator.holders). */
  holders: readonly Holder[];
  connection: Pick<HaConnection, 'connection'>;
}

/** `revoked`: the masked token that was deleted, for the bus event. */
export async function revokeConsumer(i: RevokeInput): Promise<JobOutcome & { revoked?: string }> {
  const { name, memory } = i;
  const remembered = memory.get(name);
  const verdict = i.seen.get(name)?.verdict;
  const id =
    verdict && 'token' in verdict ? verdict.token.refreshTokenId : remembered?.refreshTokenId;
  if (!remembered || !id)
    return { ok: false, message: `No token is known for ${JSON.stringify(name.slice(0, 64))}.` };
  if (verdict?.kind === 'valid' && verdict.origin === 'foreign')
    return {
      ok: false,
      message: `The token of ${name} belongs to another Home Assistant user: revoke it in that user's profile.`,
    };
  // The same token may be held by another consumer (e.g. one renamed, same parameter) or the add-on.
  const holder = heldElsewhere(i.holders, consumerCredential(name)).get(id);
  if (holder !== undefined)
    return {
      ok: false,
      message: `Not revoked: the token of ${name} is also held by ${holder}, which would stop working.`,
    };
  const conn = i.connection.connection;
  if (!conn)
    return {
      ok: false,
      message: 'Not connected to Home Assistant: revoking needs the live connection.',
    };
  const known = verdict && 'token' in verdict ? verdict.token.masked : remembered.masked;
  const masked = known ?? 'the token';
  try {
    await deleteRefreshToken(conn, id);
  } catch (error) {
    if (!(error instanceof HaCommandError && error.code === 'invalid_token_id'))
      return { ok: false, message: `Could not revoke ${masked}: ${describeError(error)}` };
  }
  if (i.configured) {
    remembered.revoked = [...remembered.revoked, id];
    memory.set(name, remembered);
  } else {
    memory.forget(name);
    i.seen.delete(name);
  }
  await memory.save().catch(() => undefined);
  const message = i.configured
    ? `Revoked ${masked} of ${name}; a new token is published to ${remembered.parameter}.`
    : `Revoked ${masked} of ${name} (no longer configured); SSM parameter ${remembered.parameter} is left as it is — delete it when you like.`;
  return { ok: true, message, revoked: known };
}
