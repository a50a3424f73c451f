import { TokenRejectedError } from '../errors.js';
import type { RefreshTokenInfo } from '../ha/auth-commands.js';
import type { TokenCheck } from '../ha/rest.js';
import type { TokenRef } from '../rotation/record.js';
import type { Token } from '../tokens/token.js';
import { nextScheduled } from './due.js';
import { usageOf, type Verdict } from './inspect.js';
import type { ConsumerMemory, Remembered } from './memory.js';
import type { Seen } from './report.js';

// Steps of the consumer manager's refresh and of what follows a rotation,
// apart from its timers (manager.ts) and queue (rotations.ts).

/** One REST check for a token that is not the user's: another user's token, or a dead one. */
export async function checkUnknown(
  check: TokenCheck,
  token: Token,
  remembered: Remembered,
  acceptedForeign: Set<string>,
): Promise<Verdict> {
  try {
    await check(token);
    acceptedForeign.add(token.fingerprint);
    return { kind: 'valid', token, origin: 'foreign' };
  } catch (error) {
    if (!(error instanceof TokenRejectedError)) return { kind: 'unknown', token };
    // Never sent again: every 401 is a failed login in Home Assistant.
    if (token.refreshTokenId) remembered.revoked = [...remembered.revoked, token.refreshTokenId];
    return {
      kind: 'rejected',
      token,
      why: `Home Assistant rejected the token ${token.masked} (401)`,
    };
  }
}

/** Consumers remembered but no longer in the options: shown, never revoked by themselves. */
export function refreshRemoved(i: {
  memory: ConsumerMemory;
  seen: Map<string, Seen>;
  configured: readonly string[];
  tokens: readonly RefreshTokenInfo[];
  now: Date;
}): void {
  for (const name of i.memory.names()) {
    if (i.configured.includes(name)) continue;
    const r = i.memory.get(name) as Remembered;
    const entry = i.tokens.find((t) => t.id === r.refreshTokenId);
    i.seen.set(name, { usage: usageOf(entry), checkedAt: i.now.toISOString() });
    if (!entry) {
      // Its token is gone from Home Assistant (revoked elsewhere): nothing left to show.
      i.memory.forget(name);
      i.seen.delete(name);
    }
  }
}

/** What is remembered after a rotation: the minted token, and the schedule's next run from now. */
export function rotated(
  remembered: Remembered,
  minted: TokenRef,
  schedule: string | undefined,
  timezone: string | undefined,
): Remembered {
  const out: Remembered = {
    ...remembered,
    refreshTokenId: minted.refreshTokenId,
    masked: minted.masked,
    fingerprint: minted.fingerprint,
  };
  if (schedule) {
    out.scheduledAt = nextScheduled(schedule, timezone)?.toISOString();
    out.schedule = schedule;
  }
  return out;
}
