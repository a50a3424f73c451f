import type { ConsumerConfig } from '../options.js';
import { nextScheduled } from './due.js';
import { usageOf, type Verdict } from './inspect.js';
import type { Remembered } from './memory.js';
import type { Seen } from './report.js';

// What one refresh learned about one consumer, and what is worth saying
// about it: a parameter changed outside the add-on, an adopted token, a
// token to replace, a use from an address never seen before. Pure (apart
// from node-cron's next-run computation), so each case is a unit test.

export interface ObserveInput {
  consumer: ConsumerConfig;
  verdict: Verdict;
  version: number | undefined;
  /** What the add-on remembered before this refresh (not changed here). */
  remembered: Remembered;
  /** The address flagged as new at the previous refresh, kept until another use. */
  previousNewAddress: string | undefined;
  /** Whether the add-on minted the token with this refresh-token id (a record in its journal). */
  mintedByAddon: (refreshTokenId: string | undefined) => boolean;
  now: Date;
  timezone?: string;
}

export interface Observation {
  seen: Seen;
  remembered: Remembered;
  events: { level: 'info' | 'warning'; message: string }[];
  /** Mint and publish a new token: the parameter is missing or holds no usable token. */
  issue: boolean;
}

export function observe(i: ObserveInput): Observation {
  const { consumer, verdict } = i;
  const { name, parameter } = consumer;
  const before = i.remembered;
  const remembered: Remembered = { ...before, parameter };
  const events: Observation['events'] = [];
  const seen: Seen = {
    verdict,
    usage: usageOf(verdict.kind === 'valid' ? verdict.entry : undefined),
    version: i.version,
    checkedAt: i.now.toISOString(),
  };
  const token = 'token' in verdict ? verdict.token : undefined;
  const changed = token !== undefined && before.fingerprint !== token.fingerprint;
  if (changed && before.fingerprint && !i.mintedByAddon(token.refreshTokenId))
    events.push({
      level: 'warning',
      message: `SSM parameter ${parameter} was changed outside the add-on: it held ${before.masked ?? 'another token'}, now ${token.masked}.`,
    });
  if (verdict.kind === 'valid' && verdict.origin !== 'minted' && changed)
    events.push({
      level: 'info',
      message: `Adopted the token ${verdict.token.masked} found in ${parameter}; it is rotated on schedule.`,
    });
  if (verdict.kind === 'rejected' || verdict.kind === 'malformed')
    events.push({ level: 'warning', message: `${verdict.why}: publishing a new token.` });
  // A new address is said once, then remembered; the flag stays until another use.
  const ip = seen.usage.lastUsedIp;
  if (ip && !before.addresses.includes(ip)) {
    if (before.addresses.length > 0) {
      seen.newAddress = ip;
      events.push({
        level: 'warning',
        message: `The token of ${name} was used from ${ip}, an address it never used before.`,
      });
    }
    remembered.addresses = [...before.addresses, ip];
  } else if (ip && i.previousNewAddress === ip) seen.newAddress = ip;
  // A schedule added to or changed on a consumer counts from now; its token need not change.
  if (!consumer.schedule) {
    remembered.scheduledAt = undefined;
    remembered.schedule = undefined;
  } else if (before.scheduledAt !== undefined && before.schedule === undefined && !changed) {
    // Written by a release that did not keep the schedule: only a schedule set it, so keep it.
    remembered.schedule = consumer.schedule;
  } else if (changed || before.scheduledAt === undefined || before.schedule !== consumer.schedule) {
    remembered.scheduledAt = nextScheduled(consumer.schedule, i.timezone)?.toISOString();
    remembered.schedule = consumer.schedule;
  }
  if (token && verdict.kind === 'valid') {
    remembered.refreshTokenId = token.refreshTokenId;
    remembered.masked = token.masked;
    remembered.fingerprint = token.fingerprint;
    remembered.version = i.version;
  }
  const issue =
    verdict.kind === 'missing' || verdict.kind === 'malformed' || verdict.kind === 'rejected';
  return { seen, remembered, events, issue };
}
