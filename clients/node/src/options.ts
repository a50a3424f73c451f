import type { SsmLike } from './ssm-reader.js';

export interface Clock {
  /** Epoch milliseconds; compared with the token's `exp`. */
  now(): number;
}

/** Where the client says it is standing in with the cached token; `console` by default. */
export interface Logger {
  warn(message: string): void;
}

export interface TokenClientOptions {
  /** Name or ARN of the SecureString parameter the add-on publishes. */
  parameter: string;
  /** Home Assistant's base URL, for `fetch()` and `request()`. */
  haUrl?: string;
  /** Injected SSM client; by default one for `region` (or the SDK's default chain). */
  ssm?: SsmLike;
  region?: string;
  /** How long a read is trusted (default 300 000 ms); keep it below the add-on's grace period. */
  ttlMs?: number;
  /** A token is not used within this much of its `exp` (default 300 000 ms). */
  expiryBufferMs?: number;
  /**
   * Read through the AWS Parameters and Secrets Lambda Extension: `'auto'`
   * (default) when its port variable or the Lambda runtime is present,
   * `false` never, `{ port }` always on that port. Falls back to the SDK.
   */
  extension?: 'auto' | false | { port: number };
  /** Re-read in the background before the cache runs out (long-running processes). */
  refreshAhead?: boolean;
  clock?: Clock;
  fetch?: typeof fetch;
  env?: Record<string, string | undefined>;
  /**
   * Called with every failed read that did not reach the caller: SSM could not
   * be read and the cached token (still valid until `exp` minus the buffer) was
   * used instead, or a background refresh failed. Reads are retried with a
   * backoff (1 s doubling to 60 s), not on every call.
   */
  onError?: (error: unknown) => void;
  logger?: Logger;
}
