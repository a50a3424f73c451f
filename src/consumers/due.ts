import { upcomingRuns } from '../schedule/cron-check.js';

// When a consumer's token is due for rotation (docs/rotation.md, "Consumers").
// Without a schedule, at 2/3 of its lifespan — the rule Vault uses to renew
// leases: a third of the lifespan is left to notice and retry a failed
// rotation before the token ends. With a cron schedule, at the schedule's
// first run after the token was issued or adopted (`scheduledAt`, computed
// then and kept, so a restart does not push it back).

export interface DueInput {
  issuedAt: Date;
  /** The token's own end (JWT `exp`); the 2/3 is taken of issuedAt..expiresAt when known. */
  expiresAt?: Date;
  lifespanDays: number;
  schedule?: string;
  /** With a schedule: its first run after the token was issued or adopted. */
  scheduledAt?: Date;
}

export function nextRotation(i: DueInput): Date | undefined {
  if (i.schedule) return i.scheduledAt;
  const end = i.expiresAt?.getTime() ?? i.issuedAt.getTime() + i.lifespanDays * 86_400_000;
  return new Date(i.issuedAt.getTime() + Math.floor(((end - i.issuedAt.getTime()) * 2) / 3));
}

/** The schedule's next run from now (node-cron's own computation), or undefined if it never runs. */
export function nextScheduled(schedule: string, timezone?: string): Date | undefined {
  return upcomingRuns(schedule, 1, timezone)[0];
}
