// The shape of what the status model holds: the snapshot every reader gets
// (the page, /api/status, /metrics, the alerts) and its parts.

export const STATES = [
  'starting',
  'misconfigured',
  'connecting',
  'connected',
  'degraded',
  'unauthorized',
  'disconnected',
] as const;
export type State = (typeof STATES)[number];

/** What is known of the credential, never the value itself. */
export interface TokenInfo {
  source: 'options' | 'ssm';
  /** "the access_token option", "SSM parameter /ha/token". */
  sourceDescription: string;
  masked?: string;
  fingerprint?: string;
  version?: number;
  modifiedAt?: string;
  issuedAt?: string;
  expiresAt?: string;
  loadedAt?: string;
  validatedAt?: string;
  /** Set while a fallback (last-known-good, options) stands in for the source. */
  fallback?: string;
  lastError?: string;
  /**
   * The masked token the source still holds although Home Assistant rejected
   * it: set by the token manager when it is rejected (or read back), cleared
   * when the source gives a token Home Assistant accepts. The alerts read this,
   * never `lastError`'s words.
   */
  sourceHoldsRejected?: string;
}

export interface ConnectionInfo {
  url: string;
  connected: boolean;
  haVersion?: string;
  /** The masked token the open socket authenticated with (it can lag the token manager's). */
  token?: string;
  connectedSince?: string;
  /** When Home Assistant last accepted the add-on's token on the connection; kept while disconnected. */
  lastAuthenticatedAt?: string;
  reconnects: number;
  pingRttMs?: number;
  lastPingAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  nextAttemptAt?: string;
}

export interface ScheduleInfo {
  name: string;
  expression: string;
  lastRunAt?: string;
  lastResult?: 'ok' | 'failed' | 'skipped';
  lastMessage?: string;
  lastDurationMs?: number;
  nextRunAt?: string;
}

/** Token rotation (docs/rotation.md): the journal, and what is still to revoke. */
export interface RotationInfo {
  available: boolean;
  /** Why rotation cannot run, when it cannot. */
  unavailableReason?: string;
  running: boolean;
  step?: string;
  graceMinutes: number;
  /** Replaced tokens waiting for their revocation; never the token in use. */
  pending: { masked: string; dueAt: string }[];
  /** The journal's records (unfinished ones, and per credential the newest failed and the newest successful finished one), in the order they were last written. */
  journal: RotationRecordInfo[];
  /** A damaged journal file, and other problems reading it. */
  problems: string[];
}

export interface RotationRecordInfo {
  credential: string;
  clientName: string;
  state: string;
  startedAt: string;
  updatedAt: string;
  minted?: string;
  replaced?: string;
  dueAt?: string;
  note?: string;
  waitingFor?: string;
  /** The masked token this rotation revoked (the replaced one at `done`, the minted one at `rolled-back`); absent when none was. */
  revoked?: string;
}

/**
 * One consumer token (docs/rotation.md, "Consumers"). The alerts in Home
 * Assistant read this shape from /api/status: keep it stable, add fields only.
 */
export interface ConsumerInfo {
  name: string;
  parameter: string;
  /** False once the consumer left the options: its token lives on until a person revokes it. */
  configured: boolean;
  state: ConsumerState;
  /** The state in words, with what to do. */
  reason: string;
  /** `minted` by the add-on, `adopted` (the add-on's user's token it did not mint), `foreign` (another user's). */
  origin?: 'minted' | 'adopted' | 'foreign';
  masked?: string;
  fingerprint?: string;
  version?: number;
  issuedAt?: string;
  expiresAt?: string;
  nextRotationAt?: string;
  lastUsedAt?: string;
  lastUsedIp?: string;
  /** Set when the token was last used from an address never seen for this consumer before. */
  newAddress?: string;
  rotating: boolean;
  /** `failing` because its parameter could not be read (an SSM error), not because a rotation failed. */
  sourceFailing?: boolean;
  /** What an unfinished rotation of this consumer waits for. */
  waitingFor?: string;
  checkedAt?: string;
}

export const CONSUMER_STATES = [
  'ok',
  'expiring',
  'unused',
  'rejected',
  'missing parameter',
  'failing',
  'not configured',
  /** Not checked yet, or being checked: the add-on is not connected, or asks Home Assistant. */
  'unknown',
] as const;
export type ConsumerState = (typeof CONSUMER_STATES)[number];

export type EventLevel = 'info' | 'warning' | 'error';

export interface StatusEvent {
  at: string;
  level: EventLevel;
  source: string;
  message: string;
  /** Set on the lines that are an event on Home Assistant's bus (src/alerts/bus-events.ts). */
  bus?: BusSignal;
}

/** What an event line tells the bus: `revoked` (a person pressed Revoke) or `rejected` (Home Assistant refused a token). */
export interface BusSignal {
  kind: 'revoked' | 'rejected';
  /** `addon` or `consumer:<name>`. */
  credential: string;
  /** Masked, never the token. */
  token?: string;
}

export interface StatusSnapshot {
  state: State;
  reason: string;
  since: string;
  /** When a fallback started standing in for the source, while one does. */
  degradedSince?: string;
  startedAt: string;
  problems: string[];
  /** What the user should know that is not a state, e.g. a damaged file in DATA_DIR. */
  notices: string[];
  token?: TokenInfo;
  connection?: ConnectionInfo;
  schedules: ScheduleInfo[];
  rotation?: RotationInfo;
  /** One entry per consumer token, configured ones first (in the options' order). */
  consumers: ConsumerInfo[];
  events: StatusEvent[];
}
