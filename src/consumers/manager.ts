import type { Clock } from '../clock.js';
import { SourceError } from '../errors.js';
import { listRefreshTokens, type RefreshTokenInfo } from '../ha/auth-commands.js';
import type { HaConnection } from '../ha/connection.js';
import type { TokenCheck } from '../ha/rest.js';
import type { Logger } from '../log.js';
import { CONSUMER_LIFESPAN_DAYS, type ConsumerConfig } from '../options.js';
import type { ManagedCredential } from '../rotation/credential.js';
import type { Holder } from '../rotation/holders.js';
import { consumerCredential, consumerName } from '../rotation/record.js';
import type { Rotator } from '../rotation/rotator.js';
import type { JobOutcome } from '../schedule/job.js';
import type { ConsumerInfo, StatusModel } from '../status/status-model.js';
import { consumerAsCredential } from './credential.js';
import { consumerHolders, SharedTokenWarning } from './holding.js';
import { judge, type Verdict } from './inspect.js';
import { ConsumerMemory, type Remembered } from './memory.js';
import { observe } from './observe.js';
import type { Held, ParameterStore } from './parameters.js';
import { checkUnknown, refreshRemoved } from './refresh-steps.js';
import { consumerInfos, type Seen } from './report.js';
import { revokeConsumer } from './revoke.js';
import { ConsumerRotations } from './rotations.js';

// One token per consumer (docs/rotation.md, "Consumers"): at start and at
// each refresh, read every consumer's parameter (in batches), judge what it
// holds against the add-on's user's tokens in Home Assistant, and issue,
// adopt or report; rotate tokens that are due — all through the Rotator, the
// same journal and recover() as the add-on's own token. Issues and rotations
// are queued and run one at a time (rotations.ts), so fifty consumers due at
// once are paced, not burst.

export interface ConsumerManagerOptions {
  consumers: readonly ConsumerConfig[];
  unusedAlertDays: number;
  /** ssm_kms_key_id: the key for parameters the add-on creates. */
  kmsKeyId?: string;
  /** rotation_grace_minutes: for records of consumers no longer configured. */
  graceMinutes: number;
  store: ParameterStore;
  rotator: Pick<Rotator, 'rotate' | 'records' | 'waitingFor' | 'isRunning' | 'holders'>;
  connection: Pick<HaConnection, 'connection'>;
  /** GET /api/ with a token: used once per unknown token (each 401 is a failed login in HA). */
  check: TokenCheck;
  dataDir: string;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  timezone?: string;
  /** How often due rotations are looked for (no I/O unless one is due). */
  checkEveryMs?: number;
}

export class ConsumerManager {
  readonly #o: ConsumerManagerOptions;
  readonly #memory: ConsumerMemory;
  readonly #seen = new Map<string, Seen>();
  /** Fingerprints of other users' tokens Home Assistant accepted: not checked again. */
  readonly #acceptedForeign = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<JobOutcome> | undefined;
  readonly #rotations: ConsumerRotations;
  readonly #shared: SharedTokenWarning;
  #refreshedOnce = false;
  #unsubscribe: (() => void) | undefined;

  constructor(options: ConsumerManagerOptions) {
    this.#o = options;
    this.#memory = new ConsumerMemory(options.dataDir);
    this.#shared = new SharedTokenWarning(options.status, options.log);
    this.#rotations = new ConsumerRotations({
      consumers: options.consumers,
      rotator: options.rotator,
      memory: this.#memory,
      seen: this.#seen,
      clock: options.clock,
      timezone: options.timezone,
      infos: () => this.#infos(),
      event: (level, name, message) => this.#event(level, name, message),
      patch: (name, change) => this.#patch(name, change),
      report: () => this.#report(),
      refresh: () => this.refresh(),
    });
  }

  async start(): Promise<void> {
    const problem = await this.#memory.load();
    if (problem) this.#o.status.addNotice(problem, 'consumers');
    this.#report();
    // Until the first refresh ran (Home Assistant connected), look often; then for due rotations only.
    const look = () => {
      if (!this.#refreshedOnce) void this.refresh();
      else this.#rotations.rotateDue();
    };
    this.#timer = setInterval(look, this.#o.checkEveryMs ?? 5000);
    this.#timer.unref();
    // The first refresh as soon as the connection is up, not at the next look.
    this.#unsubscribe = this.#o.status.subscribe((s) => {
      if (this.#refreshedOnce) this.#unsubscribe?.();
      else if (s.connection?.connected && !this.#refreshing) void this.refresh();
    });
    look();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
  }

  /** Resolves once every queued issue and rotation has run. */
  idle(): Promise<void> {
    return this.#rotations.idle();
  }

  /** The credential behind a journal key, also for a consumer no longer configured. */
  credential(id: string, target: string | undefined): ManagedCredential | undefined {
    const name = consumerName(id);
    if (name === undefined) return undefined;
    const configured = this.#o.consumers.find((c) => c.name === name);
    const parameter = configured?.parameter ?? target ?? this.#memory.get(name)?.parameter;
    if (parameter === undefined) return undefined;
    return consumerAsCredential({
      consumer: configured ?? {
        name,
        parameter,
        lifespanDays: CONSUMER_LIFESPAN_DAYS,
        graceMinutes: this.#o.graceMinutes,
      },
      store: this.#o.store,
      check: this.#o.check,
      kmsKeyId: this.#o.kmsKeyId,
      isDead: (refreshTokenId) => this.#memory.get(name)?.revoked.includes(refreshTokenId) ?? false,
      isForeign: (fingerprint) => this.#acceptedForeign.has(fingerprint),
    });
  }

  /** Each consumer's last-seen token, also of consumers no longer configured (src/rotation/holders.ts). */
  holders(): Holder[] {
    return consumerHolders(this.#memory);
  }

  /**
   * Reads every parameter (10 names a GetParameters call), Home Assistant's
   * list of the user's tokens (one call), and acts on what it finds. Joins a
   * refresh in progress. Never throws.
   */
  refresh(): Promise<JobOutcome> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<JobOutcome> {
    const { consumers, store, connection, log, clock } = this.#o;
    if (consumers.length === 0 && this.#memory.names().length === 0)
      return { ok: true, message: 'No consumers.' };
    const conn = connection.connection;
    if (!conn) return { ok: false, message: 'Not connected to Home Assistant.' };
    let held: Map<string, Held | 'missing'>;
    let tokens: RefreshTokenInfo[];
    try {
      [held, tokens] = await Promise.all([
        store.readAll(consumers.map((c) => c.parameter)),
        listRefreshTokens(conn),
      ]);
    } catch (error) {
      // The entities and notifications get the translated words only (ssm-errors.ts):
      // AWS's own text names the account and the IAM user. The log keeps it all.
      log.warning('Consumers: could not check the parameters', error);
      const source = error instanceof SourceError;
      const why = source
        ? `Could not read the parameters: ${error.message}`
        : `Not checked: Home Assistant did not answer (${error instanceof Error ? error.name : 'error'}); retrying at the next refresh.`;
      for (const c of consumers)
        this.#patch(c.name, source ? { sourceError: why } : { unchecked: why });
      this.#report();
      return { ok: false, message: why };
    }
    const now = new Date(clock.now());
    for (const consumer of consumers) {
      await this.#inspect(consumer, held.get(consumer.parameter) ?? 'missing', tokens, now);
    }
    refreshRemoved({
      memory: this.#memory,
      seen: this.#seen,
      configured: consumers.map((c) => c.name),
      tokens,
      now,
    });
    this.#shared.check(this.#o.rotator.holders());
    await this.#memory.save().catch((error) => log.warning('Could not save consumers.json', error));
    this.#refreshedOnce = true;
    this.#report();
    this.#rotations.rotateDue();
    const issues = consumers.filter((c) => needsIssue(this.#seen.get(c.name)?.verdict)).length;
    return {
      ok: true,
      message: `${consumers.length} consumer(s) checked${issues ? `, ${issues} to issue` : ''}`,
    };
  }

  async #inspect(
    consumer: ConsumerConfig,
    held: Held | 'missing',
    tokens: readonly RefreshTokenInfo[],
    now: Date,
  ): Promise<void> {
    const { name, parameter } = consumer;
    const remembered: Remembered = this.#memory.get(name) ?? {
      parameter,
      addresses: [],
      revoked: [],
    };
    let verdict = judge(consumer, held, tokens, remembered, this.#acceptedForeign, now);
    if (verdict.kind === 'unknown')
      verdict = await checkUnknown(this.#o.check, verdict.token, remembered, this.#acceptedForeign);
    const seen = observe({
      consumer,
      verdict,
      version: held === 'missing' ? undefined : held.version,
      remembered,
      previousNewAddress: this.#seen.get(name)?.newAddress,
      mintedByAddon: (id) =>
        id !== undefined && this.#o.rotator.records.some((r) => r.minted?.refreshTokenId === id),
      now,
      timezone: this.#o.timezone,
    });
    for (const e of seen.events) this.#event(e.level, name, e.message);
    this.#memory.set(name, seen.remembered);
    this.#seen.set(name, seen.seen);
    if (seen.issue) this.#rotations.enqueue(name, 'issue');
  }

  /** "Rotate now" on the page. */
  rotateNow(name: string): Promise<JobOutcome> {
    return this.#rotations.rotateNow(name);
  }

  /**
   * "Revoke" on the page: deletes the consumer's current token in Home
   * Assistant (revoke.ts). A consumer no longer configured is then forgotten;
   * a configured one gets a new token at once (its parameter now holds a dead one).
   */
  async revoke(name: string): Promise<JobOutcome> {
    const configured = this.#o.consumers.some((c) => c.name === name);
    const outcome = await revokeConsumer({
      name,
      configured,
      memory: this.#memory,
      seen: this.#seen,
      holders: this.#o.rotator.holders(),
      connection: this.#o.connection,
    });
    if (!outcome.ok) return outcome;
    // The line carries the bus event too: revoked by a person, not by a rotation's journal.
    this.#o.status.event('warning', 'consumers', outcome.message, {
      kind: 'revoked',
      credential: consumerCredential(name),
      token: outcome.revoked,
    });
    this.#o.log.warning(`Consumer ${name}: ${outcome.message}`);
    this.#report();
    if (configured) void this.refresh();
    return outcome;
  }

  #patch(name: string, change: Partial<Seen>): void {
    this.#seen.set(name, { usage: {}, ...this.#seen.get(name), ...change });
  }

  #event(level: 'info' | 'warning' | 'error', name: string, message: string): void {
    this.#o.status.event(level, 'consumers', message);
    this.#o.log[level](`Consumer ${name}: ${message}`);
  }

  #infos(): ConsumerInfo[] {
    return consumerInfos({
      consumers: this.#o.consumers,
      removed: this.#memory
        .names()
        .filter((name) => !this.#o.consumers.some((c) => c.name === name))
        .map((name) => ({ name, remembered: this.#memory.get(name) as Remembered })),
      seen: this.#seen,
      scheduledAt: (name) => this.#memory.get(name)?.scheduledAt,
      busy: (name) => this.#rotations.busy(name),
      waitingFor: (name) => this.#o.rotator.waitingFor(consumerCredential(name)),
      unusedAlertDays: this.#o.unusedAlertDays,
      now: new Date(this.#o.clock.now()),
    });
  }

  #report(): void {
    this.#o.status.updateConsumers(this.#infos());
  }
}

function needsIssue(v: Verdict | undefined): boolean {
  return v?.kind === 'missing' || v?.kind === 'malformed' || v?.kind === 'rejected';
}
