// How long a read is trusted, and how failed reads back off (epoch ms throughout).

/** A fresh read already inside the expiry buffer is trusted this long at most. */
const SHORT_TRUST_MS = 30_000;
/** After a failed read, the next one waits this long, doubling per failure up to the cap. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/**
 * A read is trusted for the TTL, never past `exp` minus the buffer; a token
 * already inside the buffer is still valid, so it is used, but looked at again soon.
 */
export function trustedUntil(now: number, expMs: number, ttlMs: number, bufferMs: number): number {
  const until = Math.min(now + ttlMs, expMs - bufferMs);
  return until > now ? until : Math.min(now + Math.min(ttlMs, SHORT_TRUST_MS), expMs);
}

/** Milliseconds before the next read after `failures` failed reads in a row. */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, failures - 1));
}
