import type { RefreshTokenInfo } from '../ha/auth-commands.js';
import type { ConsumerConfig } from '../options.js';
import type { ConsumerInfo, ConsumerState } from '../status/status-model.js';
import { Token } from '../tokens/token.js';
import { nextRotation } from './due.js';
import type { Remembered } from './memory.js';
import type { Held } from './parameters.js';

// What one consumer's parameter holds, judged against the add-on's user's
// tokens in Home Assistant — pure, so every case is a unit test. The manager
// acts on the verdict: issue, adopt, flag, or leave alone.

/** The client_name prefix of a consumer's tokens; a timestamp follows (names are unique per user). */
export function clientNamePrefix(name: string): string {
  return `HA Token Manager: ${name} `;
}

export type Verdict =
  /** No parameter: mint and publish. */
  | { kind: 'missing' }
  /** The parameter holds something that is not a token (or an expired one): mint and publish anew. */
  | { kind: 'malformed'; why: string }
  /** Home Assistant does not accept the token (known revoked, or it said 401): mint and publish anew. */
  | { kind: 'rejected'; token: Token; why: string }
  /** Not among the user's tokens and not known dead: one REST check decides. */
  | { kind: 'unknown'; token: Token }
  | {
      kind: 'valid';
      token: Token;
      origin: 'minted' | 'adopted' | 'foreign';
      entry?: RefreshTokenInfo;
    };

export function judge(
  consumer: Pick<ConsumerConfig, 'name' | 'parameter'>,
  held: Held | 'missing',
  tokens: readonly RefreshTokenInfo[],
  remembered: Remembered | undefined,
  /** Fingerprints of tokens another user owns that Home Assistant accepted (REST 200). */
  acceptedForeign: ReadonlySet<string>,
  now: Date,
): Verdict {
  if (held === 'missing') return { kind: 'missing' };
  let token: Token;
  try {
    token = Token.parse(held.value, `SSM parameter ${consumer.parameter}`, now);
  } catch (error) {
    return { kind: 'malformed', why: (error as Error).message };
  }
  const id = token.refreshTokenId;
  const entry = id === undefined ? undefined : tokens.find((t) => t.id === id);
  if (entry) {
    const mine = entry.client_name?.startsWith(clientNamePrefix(consumer.name)) ?? false;
    return { kind: 'valid', token, origin: mine ? 'minted' : 'adopted', entry };
  }
  if (id !== undefined && remembered?.revoked.includes(id))
    return {
      kind: 'rejected',
      token,
      why: `the token ${token.masked} in ${consumer.parameter} was revoked`,
    };
  if (acceptedForeign.has(token.fingerprint)) return { kind: 'valid', token, origin: 'foreign' };
  return { kind: 'unknown', token };
}

export interface Usage {
  lastUsedAt?: string;
  lastUsedIp?: string;
  createdAt?: string;
}

/**
 * Home Assistant stamps `last_used_at` (with a null `last_used_ip`) when it
 * creates a long-lived token, and updates both only when it creates an
 * access token from a refresh token (homeassistant/auth/__init__.py
 * `async_create_access_token`; components/auth/__init__.py
 * `websocket_create_long_lived_access_token` calls it once, without an
 * address). A long-lived token's later uses (REST, WebSocket) are not
 * recorded. So a stamp within a minute of creation is the creation, not a
 * use: "last used" is shown only when Home Assistant recorded a real one.
 */
const CREATION_STAMP_MS = 60_000;

export function usageOf(entry: RefreshTokenInfo | undefined): Usage {
  const at = entry?.last_used_at ?? undefined;
  const created = entry?.created_at;
  const stamp =
    at !== undefined &&
    created !== undefined &&
    Math.abs(Date.parse(at) - Date.parse(created)) < CREATION_STAMP_MS;
  return {
    lastUsedAt: stamp ? undefined : at,
    lastUsedIp: stamp ? undefined : (entry?.last_used_ip ?? undefined),
    createdAt: created,
  };
}

const DAY = 86_400_000;
/** A token this close to its end that was not rotated yet is `expiring`. */
const EXPIRING_WITHIN = 7 * DAY;

export interface StateInput {
  consumer: ConsumerConfig;
  verdict: Verdict | undefined;
  usage: Usage;
  unusedAlertDays: number;
  scheduledAt?: Date;
  failing?: string;
  now: Date;
}

/** The consumer's state and its reason in words, with what to do (DOCS.md lists them). */
export function stateOf(i: StateInput): Pick<ConsumerInfo, 'state' | 'reason' | 'nextRotationAt'> {
  const v = i.verdict;
  const next =
    v?.kind === 'valid' && v.token.issuedAt
      ? nextRotation({
          issuedAt: v.token.issuedAt,
          expiresAt: v.token.expiresAt,
          lifespanDays: i.consumer.lifespanDays,
          schedule: i.consumer.schedule,
          scheduledAt: i.scheduledAt,
        })
      : undefined;
  const nextRotationAt = next?.toISOString();
  const s = (state: ConsumerState, reason: string) => ({ state, reason, nextRotationAt });
  // A dead token the add-on could not replace (e.g. no ssm:PutParameter) is
  // still in the parameter: it stays `rejected`, the failure said beside it.
  if (i.failing && (v?.kind === 'rejected' || v?.kind === 'malformed'))
    return s(
      'rejected',
      `${v.kind === 'rejected' ? 'Home Assistant does not accept it' : v.why}, and the add-on could not publish a new one: ${i.failing}`,
    );
  if (i.failing) return s('failing', i.failing);
  if (!v) return s('failing', 'Not checked yet: waiting for Home Assistant and SSM.');
  if (v.kind === 'missing')
    return s(
      'missing parameter',
      `SSM has no parameter ${i.consumer.parameter}: the add-on mints a token and creates it.`,
    );
  if (v.kind === 'malformed') return s('rejected', `${v.why} The add-on publishes a new token.`);
  if (v.kind === 'rejected')
    return s(
      'rejected',
      `Home Assistant does not accept it (${v.why}): the add-on publishes a new token.`,
    );
  if (v.kind === 'unknown') return s('failing', 'Checking the token with Home Assistant.');
  const expires = v.token.expiresAt?.getTime();
  if (expires !== undefined && expires - i.now.getTime() < EXPIRING_WITHIN)
    return s(
      'expiring',
      `The token ends ${v.token.expiresAt?.toISOString()} and was not rotated yet: see the events for why, or press Rotate now.`,
    );
  // Only a use Home Assistant recorded counts (see usageOf): no record is not "unused".
  const lastUse = Date.parse(i.usage.lastUsedAt ?? '');
  if (!Number.isNaN(lastUse) && i.now.getTime() - lastUse > i.unusedAlertDays * DAY)
    return s(
      'unused',
      `Not used for more than ${i.unusedAlertDays} days: if ${i.consumer.name} is gone, remove it from the options and revoke its token.`,
    );
  const who =
    v.origin === 'minted'
      ? 'Minted by the add-on'
      : v.origin === 'adopted'
        ? 'Adopted (made outside the add-on, by its user)'
        : "Adopted (another user's token: the add-on cannot revoke it when it rotates)";
  return s('ok', `${who}; Home Assistant accepts it.`);
}
