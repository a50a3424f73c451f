import type { ConsumerConfig } from '../options.js';
import type { ConsumerInfo } from '../status/status-model.js';
import { stateOf, type Usage, type Verdict } from './inspect.js';
import type { Remembered } from './memory.js';

// The consumers' entries in /api/status and on the page (ConsumerInfo in
// src/status/snapshot.ts: the shape the alerts read — add fields only).

/** What the last refresh (or rotation) found for one consumer. */
export interface Seen {
  verdict?: Verdict;
  usage: Usage;
  /** A rotation or issue failed: `failing`, its rotation-failed problem comes from the journal. */
  failing?: string;
  /** The parameters could not be read (SSM): `failing`, and a source problem for the alerts. */
  sourceError?: string;
  /** The last refresh could not check it for a reason that is not its own (Home Assistant). */
  unchecked?: string;
  newAddress?: string;
  version?: number;
  checkedAt?: string;
}

export interface ReportInput {
  consumers: readonly ConsumerConfig[];
  /** Consumers remembered but no longer in the options. */
  removed: readonly { name: string; remembered: Remembered }[];
  seen: ReadonlyMap<string, Seen>;
  scheduledAt: (name: string) => string | undefined;
  /** Issuing or rotating now, or queued to. */
  busy: (name: string) => boolean;
  waitingFor: (name: string) => string | undefined;
  unusedAlertDays: number;
  now: Date;
}

export function consumerInfos(i: ReportInput): ConsumerInfo[] {
  const configured = i.consumers.map((consumer): ConsumerInfo => {
    const seen = i.seen.get(consumer.name);
    const v = seen?.verdict;
    const token = v && 'token' in v ? v.token : undefined;
    const rotating = i.busy(consumer.name);
    const scheduledAt = i.scheduledAt(consumer.name);
    const state = stateOf({
      consumer,
      verdict: v,
      usage: seen?.usage ?? {},
      unusedAlertDays: i.unusedAlertDays,
      scheduledAt: scheduledAt ? new Date(scheduledAt) : undefined,
      failing: seen?.failing,
      sourceError: seen?.sourceError,
      unchecked: seen?.unchecked,
      now: i.now,
    });
    return {
      name: consumer.name,
      parameter: consumer.parameter,
      configured: true,
      ...state,
      ...(rotating && !seen?.failing && !seen?.sourceError && !v
        ? { reason: 'Issuing or rotating now.' }
        : {}),
      ...(seen?.sourceError ? { sourceFailing: true } : {}),
      origin: v?.kind === 'valid' ? v.origin : undefined,
      masked: token?.masked,
      fingerprint: token?.fingerprint,
      version: seen?.version,
      issuedAt: token?.issuedAt?.toISOString(),
      expiresAt: token?.expiresAt?.toISOString(),
      lastUsedAt: seen?.usage.lastUsedAt,
      lastUsedIp: seen?.usage.lastUsedIp,
      newAddress: seen?.newAddress,
      rotating,
      waitingFor: i.waitingFor(consumer.name),
      checkedAt: seen?.checkedAt,
    };
  });
  const removed = i.removed.map(({ name, remembered: r }): ConsumerInfo => {
    const seen = i.seen.get(name);
    return {
      name,
      parameter: r.parameter,
      configured: false,
      state: 'not configured',
      reason: `No longer in the options. Its token ${r.masked ?? ''} still works until you press Revoke; the add-on never revokes it by itself.`,
      masked: r.masked,
      fingerprint: r.fingerprint,
      version: r.version,
      lastUsedAt: seen?.usage.lastUsedAt,
      lastUsedIp: seen?.usage.lastUsedIp,
      rotating: false,
      waitingFor: i.waitingFor(name),
      checkedAt: seen?.checkedAt,
    };
  });
  return [...configured, ...removed];
}
