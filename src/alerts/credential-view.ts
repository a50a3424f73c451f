import { capitalize } from '../log.js';
import { consumerCredential, consumerName } from '../rotation/record.js';
import type { ConsumerInfo, StatusSnapshot } from '../status/status-model.js';

// The one place that turns a status snapshot into the list of managed
// credentials Home Assistant is told about. Notifications, entities and
// events read only this list (docs/alerts.md): a new kind of credential (the
// consumers' tokens) is added here and nowhere else. Pure: no I/O, time is a
// parameter.

export const PROBLEM_KINDS = [
  'rejected',
  'unreadable',
  'expiring',
  'unused',
  'rotation-failed',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface CredentialProblem {
  kind: ProblemKind;
  /** One or two sentences: what is wrong and what to do. Never a token. */
  message: string;
  /** Counts only once present this long (problem-ages.ts): the add-on may fix it by itself first. */
  graceMs?: number;
}

/** What Home Assistant is told of one managed token; never its value. */
export interface ManagedCredential {
  /** Stable and safe in an entity id: `addon`, or a consumer's id. */
  id: string;
  name: string;
  /** `ok`, the first problem's kind, `unknown` while nothing is known yet, `retired` for a consumer no longer in the options. */
  state: 'ok' | 'unknown' | 'retired' | ProblemKind;
  problems: CredentialProblem[];
  masked?: string;
  expiresAt?: string;
  lastUsedAt?: string;
  lastRotatedAt?: string;
}

export interface ViewOptions {
  now: number;
  /** How long the source may fail before it is a problem: a few refresh runs. */
  unreadableAfterMs: number;
  /** A token expiring sooner than this, with no rotation planned before, is a problem. */
  expiryWarningMs: number;
  /** A rotation unsettled for longer than this could not settle. */
  unsettledAfterMs: number;
}

export const EXPIRY_WARNING_DAYS = 14;

export function credentialView(s: StatusSnapshot, o: ViewOptions): ManagedCredential[] {
  return [addonCredential(s, o), ...consumersOf(s).map((c) => consumerView(s, c, o))];
}

/** The add-on's own token, or a consumer's (`consumer:<name>`, the rotation journal's key). */
export function credentialName(id: string): string {
  return consumerName(id) ?? "Add-on's token";
}

/** The add-on's own token, as the token manager, connection and rotation journal report it. */
function addonCredential(s: StatusSnapshot, o: ViewOptions): ManagedCredential {
  const problems: CredentialProblem[] = [];
  const token = s.token;
  // The token manager's flag, not its words: it stays set while the add-on
  // reconnects or a fallback stands in, until the source gives a token Home
  // Assistant accepts (src/tokens/token-manager.ts).
  const held = token?.sourceHoldsRejected;
  const rejected = s.state === 'unauthorized' || held !== undefined;
  if (rejected) {
    problems.push({
      kind: 'rejected',
      message: `Home Assistant rejected the add-on's token ${held ?? token?.masked ?? ''}, and ${token?.sourceDescription ?? 'its source'} still holds it. Create a new long-lived token and put it there.`,
    });
  }
  const unreadable = unreadableSince(s);
  if (unreadable !== undefined) {
    problems.push({
      kind: 'unreadable',
      message: `${capitalize(token?.sourceDescription ?? 'the token source')} could not be read since ${unreadable}: ${token?.lastError ?? 'unknown error'}`,
      // Its age is kept across a restart of the add-on (problem-ages.ts); the
      // status model's degradedSince/since start again with the new process.
      graceMs: o.unreadableAfterMs,
    });
  }
  const expiring = rejected
    ? undefined
    : expiryProblem(
        `the add-on's token ${token?.masked ?? ''}`,
        token?.expiresAt,
        s.schedules.find((x) => x.name === 'rotation')?.nextRunAt,
        token?.sourceDescription ?? 'its source',
        o,
      );
  if (expiring) problems.push(expiring);
  const failed = rotationProblem(s, 'addon', o);
  if (failed) problems.push(failed);
  const known = token?.masked !== undefined;
  return {
    id: 'addon',
    name: "Add-on's token",
    state: problems[0]?.kind ?? (known ? 'ok' : 'unknown'),
    problems,
    masked: token?.masked,
    expiresAt: token?.expiresAt,
    lastUsedAt: lastAuthenticated(s),
    lastRotatedAt: lastRotation(s, 'addon'),
  };
}

/** A consumer's token (docs/rotation.md, "Consumers"), as the consumers manager judged it. */
function consumerView(s: StatusSnapshot, c: ConsumerView, o: ViewOptions): ManagedCredential {
  const id = consumerCredential(c.name);
  const problems: CredentialProblem[] = [];
  const where = `SSM parameter ${c.parameter}`;
  if (c.state === 'rejected') {
    problems.push({
      kind: 'rejected',
      message: `Home Assistant rejected ${c.name}'s token ${c.masked ?? ''}, and ${where} still holds it. ${c.reason}`,
      // The add-on publishes a new token by itself: only one that stays is news.
      graceMs: 60_000,
    });
  }
  // Only the parameter itself failing counts: a consumer not checked yet (the
  // add-on not connected) is `unknown`, a failed rotation is `rotation-failed`.
  if ((c.state === 'failing' && c.sourceFailing) || c.state === 'missing parameter') {
    problems.push({
      kind: 'unreadable',
      message: `${c.name}: ${c.reason}`,
      graceMs: o.unreadableAfterMs,
    });
  }
  const expiring = expiryProblem(
    `the token ${c.masked ?? ''} of ${c.name}`,
    c.expiresAt,
    c.nextRotationAt,
    where,
    o,
  );
  if (expiring && c.configured && c.state !== 'rejected') problems.push(expiring);
  if (c.state === 'unused') problems.push({ kind: 'unused', message: `${c.name}: ${c.reason}` });
  const failed = rotationProblem(s, id, o, c.configured);
  if (failed) problems.push(failed);
  const known = c.masked !== undefined && c.state !== 'unknown';
  return {
    id,
    name: c.name,
    state: problems[0]?.kind ?? (!c.configured ? 'retired' : known ? 'ok' : 'unknown'),
    problems,
    masked: c.masked,
    expiresAt: c.expiresAt,
    lastUsedAt: c.lastUsedAt,
    lastRotatedAt: lastRotation(s, id),
  };
}

function expiryProblem(
  what: string,
  expiresAt: string | undefined,
  nextRotationAt: string | undefined,
  where: string,
  o: ViewOptions,
): CredentialProblem | undefined {
  if (!expiresAt) return undefined;
  const left = Date.parse(expiresAt) - o.now;
  // Planned: due in the future and before the expiry (an overdue one is not a plan).
  const next = nextRotationAt === undefined ? Number.NaN : Date.parse(nextRotationAt);
  const planned = next >= o.now && next < Date.parse(expiresAt);
  if (left >= o.expiryWarningMs || planned) return undefined;
  return {
    kind: 'expiring',
    message: `${capitalize(what)} expires on ${expiresAt.slice(0, 10)} (in ${Math.max(0, Math.floor(left / 86_400_000))} days) and no rotation is planned before. Rotate it now, or put a new token into ${where}.`,
  };
}

/** What the view reads of a consumer (ConsumerInfo keeps this shape stable and only adds fields). */
export type ConsumerView = Pick<
  ConsumerInfo,
  | 'name'
  | 'parameter'
  | 'configured'
  | 'state'
  | 'reason'
  | 'masked'
  | 'expiresAt'
  | 'nextRotationAt'
  | 'lastUsedAt'
  | 'sourceFailing'
>;

function consumersOf(s: StatusSnapshot): readonly ConsumerView[] {
  return s.consumers ?? [];
}

/** Since when the source fails, while it does (a fallback stands in, or nothing does). */
function unreadableSince(s: StatusSnapshot): string | undefined {
  const token = s.token;
  // A source that answers with a rejected token is readable: that is `rejected`.
  if (!token?.lastError || token.sourceHoldsRejected !== undefined) return undefined;
  if (s.degradedSince) return s.degradedSince;
  return s.state === 'disconnected' ? s.since : undefined;
}

/**
 * The newest time Home Assistant accepted the add-on's token: its last
 * authentication on the connection, or its validation. Both only move
 * forward, so the sensor never goes back while the add-on is disconnected.
 */
function lastAuthenticated(s: StatusSnapshot): string | undefined {
  return newest([
    s.connection?.lastAuthenticatedAt,
    s.connection?.connectedSince,
    s.token?.validatedAt,
  ]);
}

function newest(times: readonly (string | undefined)[]): string | undefined {
  let best: string | undefined;
  for (const t of times)
    if (t !== undefined && (best === undefined || Date.parse(t) > Date.parse(best))) best = t;
  return best;
}

const SUCCEEDED = ['revoking', 'done'];
const FAILED = ['rolled-back', 'abandoned'];

/**
 * The journal keeps the newest failed and the newest successful finished
 * record per credential (docs/rotation.md): the failure counts while no
 * rotation started after it, whichever of them settled last.
 */
function rotationProblem(
  s: StatusSnapshot,
  credential: string,
  o: ViewOptions,
  configured = true,
): CredentialProblem | undefined {
  const records = (s.rotation?.journal ?? []).filter((r) => r.credential === credential);
  const latest = records.reduce<(typeof records)[number] | undefined>(
    (best, r) =>
      best === undefined || Date.parse(r.startedAt) >= Date.parse(best.startedAt) ? r : best,
    undefined,
  );
  if (latest && FAILED.includes(latest.state)) {
    // A consumer no longer configured has no Rotate now: it is revoked, or put back in the options.
    // "Unchanged", not "in use": the token from before may be the one Home Assistant rejected.
    const next = configured
      ? "The token from before it is unchanged; once the cause is fixed, try Rotate now on the add-on's page."
      : "The token from before it is unchanged; the consumer is no longer in the options, so press Revoke on the add-on's page when it is not needed, or add it back to rotate it.";
    return {
      kind: 'rotation-failed',
      message: `The last rotation (${latest.startedAt}) ${latest.state === 'rolled-back' ? 'failed and was rolled back' : 'was given up'}: ${(latest.note ?? 'see the add-on log').replace(/\.$/, '')}. ${next}`,
    };
  }
  const stuck = records.find(
    (r) =>
      !SUCCEEDED.includes(r.state) &&
      !FAILED.includes(r.state) &&
      o.now - Date.parse(r.updatedAt) >= o.unsettledAfterMs,
  );
  if (stuck) {
    return {
      kind: 'rotation-failed',
      message: `The rotation started ${stuck.startedAt} could not settle (${stuck.state}${stuck.waitingFor ? `, waiting for ${stuck.waitingFor}` : ''}). It is retried by itself; check the add-on's page.`,
    };
  }
  return undefined;
}

/** When the newest token that replaced another went into use (the newest successful rotation's start). */
function lastRotation(s: StatusSnapshot, credential: string): string | undefined {
  const done = (s.rotation?.journal ?? []).filter(
    (r) => r.credential === credential && SUCCEEDED.includes(r.state),
  );
  return newest(done.map((r) => r.startedAt));
}
