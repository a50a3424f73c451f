import type { Clock } from '../clock.js';
import { TokenRejectedError } from '../errors.js';
import {
  deleteRefreshToken,
  HaCommandError,
  listRefreshTokens,
  type RefreshTokenInfo,
} from '../ha/auth-commands.js';
import type { HaConnection } from '../ha/connection.js';
import type { TokenCheck } from '../ha/rest.js';
import { describeError, type Logger } from '../log.js';
import { CONSUMER_LIFESPAN_DAYS, type ConsumerConfig } from '../options.js';
import type { ManagedCredential } from '../rotation/credential.js';
import { type Holder, heldElsewhere, sharedTokens } from '../rotation/holders.js';
import { consumerCredential } from '../rotation/record.js';
import type { Rotator } from '../rotation/rotator.js';
import type { JobOutcome } from '../schedule/job.js';
import type { ConsumerInfo, StatusModel } from '../status/status-model.js';
import type { Token } from '../tokens/token.js';
import { consumerAsCredential } from './credential.js';
import { nextScheduled } from './due.js';
import { judge, usageOf, type Verdict } from './inspect.js';
import { ConsumerMemory, type Remembered } from './memory.js';
import { observe } from './observe.js';
import type { Held, ParameterStore } from './parameters.js';
import { consumerInfos, type Seen } from './report.js';

// One token per consumer (docs/rotation.md, "Consumers"): at start and at
// each refresh, read every consumer's parameter (in batches), judge what it
// holds against the add-on's user's tokens in Home Assistant, and issue,
// adopt or report; rotate tokens that are due — all through the Rotator, the
// same journal and recover() as the add-on's own token. Actions are queued
// and run one at a time, so fifty consumers due at once are paced, not burst.

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
  #queue: Promise<unknown> = Promise.resolve();
  /** Consumers with an issue or rotation queued or running. */
  readonly #queued = new Set<string>();
  #refreshedOnce = false;

  constructor(options: ConsumerManagerOptions) {
    this.#o = options;
    this.#memory = new ConsumerMemory(options.dataDir);
  }

  async start(): Promise<void> {
    const problem = await this.#memory.load();
    if (problem) this.#o.status.addNotice(problem, 'consumers');
    this.#report();
    // Until the first refresh ran (Home Assistant connected), look often; then for due rotations only.
    const look = () => {
      if (!this.#refreshedOnce) void this.refresh();
      else this.#rotateDue();
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

  #unsubscribe: (() => void) | undefined;

  /** Resolves once every queued issue and rotation has run. */
  idle(): Promise<void> {
    return this.#queue.then(() => undefined);
  }

  /** The credential behind a journal key, also for a consumer no longer configured. */
  credential(id: string, target: string | undefined): ManagedCredential | undefined {
    const name = id.startsWith('consumer:') ? id.slice('consumer:'.length) : undefined;
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
    return this.#memory.names().flatMap((name) => {
      const r = this.#memory.get(name) as Remembered;
      if (!r.refreshTokenId) return [];
      const label = `consumer ${name} (SSM parameter ${r.parameter})`;
      return [{ credential: consumerCredential(name), label, refreshTokenId: r.refreshTokenId }];
    });
  }

  /** One token held by two credentials: rotating one revokes nothing the other uses, but say so once. */
  #warnShared(): void {
    for (const line of sharedTokens(this.#o.rotator.holders())) {
      if (this.#warnedShared.has(line)) continue;
      this.#warnedShared.add(line);
      const message = `One token is held by ${line}: a rotation of one leaves it unrevoked while another holds it; give each its own token.`;
      this.#o.status.event('warning', 'consumers', message);
      this.#o.log.warning(`Consumers: ${message}`);
    }
  }

  readonly #warnedShared = new Set<string>();

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
      const why = describeError(error);
      for (const c of consumers) this.#patch(c.name, { failing: `Could not check: ${why}` });
      this.#report();
      log.warning(`Consumers: could not check the parameters: ${why}`);
      return { ok: false, message: why };
    }
    const now = new Date(clock.now());
    for (const consumer of consumers) {
      await this.#inspect(consumer, held.get(consumer.parameter) ?? 'missing', tokens, now);
    }
    this.#refreshRemoved(tokens);
    this.#warnShared();
    await this.#memory.save().catch((error) => log.warning('Could not save consumers.json', error));
    this.#refreshedOnce = true;
    this.#report();
    this.#rotateDue();
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
    if (verdict.kind === 'unknown') verdict = await this.#checkUnknown(verdict.token, remembered);
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
    if (seen.issue) this.#enqueue(name, 'issue');
  }

  /** One REST check for a token that is not the user's: another user's token, or a dead one. */
  async #checkUnknown(token: Token, remembered: Remembered): Promise<Verdict> {
    try {
      await this.#o.check(token);
      this.#acceptedForeign.add(token.fingerprint);
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
  #refreshRemoved(tokens: readonly RefreshTokenInfo[]): void {
    for (const name of this.#memory.names()) {
      if (this.#o.consumers.some((c) => c.name === name)) continue;
      const r = this.#memory.get(name) as Remembered;
      const entry = tokens.find((t) => t.id === r.refreshTokenId);
      this.#seen.set(name, {
        usage: usageOf(entry),
        checkedAt: new Date(this.#o.clock.now()).toISOString(),
      });
      if (!entry) {
        // Its token is gone from Home Assistant (revoked elsewhere): nothing left to show.
        this.#memory.forget(name);
        this.#seen.delete(name);
      }
    }
  }

  /** Queues the rotations that are due (no I/O otherwise). */
  #rotateDue(): void {
    const now = this.#o.clock.now();
    for (const info of this.#infos()) {
      if (!info.configured || info.nextRotationAt === undefined) continue;
      const verdict = this.#seen.get(info.name)?.verdict;
      if (verdict?.kind !== 'valid') continue;
      // A rotation that failed is not tried again every few seconds: each try mints a token.
      if ((this.#retryAt.get(info.name) ?? 0) > now) continue;
      if (Date.parse(info.nextRotationAt) <= now) this.#enqueue(info.name, 'rotate');
    }
  }

  #enqueue(name: string, why: 'issue' | 'rotate'): void {
    if (this.#queued.has(name)) return;
    this.#queued.add(name);
    this.#report();
    this.#queue = this.#queue.then(async () => {
      try {
        const outcome = await this.#o.rotator.rotate('schedule', consumerCredential(name));
        this.#afterRotation(name, outcome, why);
      } finally {
        this.#queued.delete(name);
      }
    });
  }

  /** After a rotation: the new token is what the parameter holds; the view follows without a read. */
  #afterRotation(name: string, outcome: JobOutcome, why: 'issue' | 'rotate' | 'manual'): void {
    const verb = why === 'issue' ? 'Issued' : 'Rotated';
    if (outcome.ok) {
      this.#retryAt.delete(name);
      const record = this.#o.rotator.records.findLast(
        (r) => r.credential === consumerCredential(name),
      );
      const minted = record?.minted;
      const remembered = this.#memory.get(name);
      const consumer = this.#o.consumers.find((c) => c.name === name);
      if (remembered && minted) {
        remembered.refreshTokenId = minted.refreshTokenId;
        remembered.masked = minted.masked;
        remembered.fingerprint = minted.fingerprint;
        if (consumer?.schedule) {
          remembered.scheduledAt = nextScheduled(
            consumer.schedule,
            this.#o.timezone,
          )?.toISOString();
          remembered.schedule = consumer.schedule;
        }
        this.#memory.set(name, remembered);
        void this.#memory.save().catch(() => undefined);
      }
      this.#event('info', name, `${verb} the token of ${name}: ${outcome.message}`);
      // The next refresh reads it back; until then, say what is known.
      this.#seen.set(name, {
        ...this.#seen.get(name),
        usage: {},
        verdict: undefined,
        failing: undefined,
      });
      this.#pendingRead.add(name);
    } else {
      this.#retryAt.set(name, this.#o.clock.now() + RETRY_AFTER_MS);
      this.#patch(name, {
        failing: `${verb === 'Issued' ? 'Issuing' : 'Rotating'} failed: ${outcome.message}`,
      });
      this.#event(
        'error',
        name,
        `${verb === 'Issued' ? 'Issuing' : 'Rotating'} the token of ${name} failed: ${outcome.message}`,
      );
    }
    this.#report();
    if (this.#pendingRead.size > 0 && !this.#readScheduled) {
      this.#readScheduled = true;
      // One batched read for everything rotated in this burst, after the queue drains.
      void this.idle().then(async () => {
        this.#readScheduled = false;
        this.#pendingRead.clear();
        await this.refresh();
      });
    }
  }

  readonly #pendingRead = new Set<string>();
  /** After a failed rotation: not before then (the next try is at least this far away). */
  readonly #retryAt = new Map<string, number>();
  #readScheduled = false;

  /** "Rotate now" on the page. */
  async rotateNow(name: string): Promise<JobOutcome> {
    if (!this.#o.consumers.some((c) => c.name === name))
      return {
        ok: false,
        message: `No configured consumer is named ${JSON.stringify(name.slice(0, 64))}.`,
      };
    const run = this.#queue.then(() => this.#o.rotator.rotate('manual', consumerCredential(name)));
    this.#queue = run.catch(() => undefined);
    const outcome = await run;
    this.#afterRotation(name, outcome, 'manual');
    return outcome;
  }

  /**
   * "Revoke" on the page: deletes the consumer's current token in Home
   * Assistant. A consumer no longer configured is then forgotten; a
   * configured one gets a new token at once (its parameter now holds a dead one).
   */
  async revoke(name: string): Promise<JobOutcome> {
    const remembered = this.#memory.get(name);
    const verdict = this.#seen.get(name)?.verdict;
    const id =
      verdict && 'token' in verdict ? verdict.token.refreshTokenId : remembered?.refreshTokenId;
    if (!remembered || !id)
      return { ok: false, message: `No token is known for ${JSON.stringify(name.slice(0, 64))}.` };
    if (verdict?.kind === 'valid' && verdict.origin === 'foreign')
      return {
        ok: false,
        message: `The token of ${name} belongs to another Home Assistant user: revoke it in that user's profile.`,
      };
    // The same token may be held by another consumer (e.g. one renamed, same parameter) or the add-on.
    const holder = heldElsewhere(this.#o.rotator.holders(), consumerCredential(name)).get(id);
    if (holder !== undefined)
      return {
        ok: false,
        message: `Not revoked: the token of ${name} is also held by ${holder}, which would stop working.`,
      };
    const conn = this.#o.connection.connection;
    if (!conn)
      return {
        ok: false,
        message: 'Not connected to Home Assistant: revoking needs the live connection.',
      };
    const masked =
      (verdict && 'token' in verdict ? verdict.token.masked : remembered.masked) ?? 'the token';
    try {
      await deleteRefreshToken(conn, id);
    } catch (error) {
      if (!(error instanceof HaCommandError && error.code === 'invalid_token_id'))
        return { ok: false, message: `Could not revoke ${masked}: ${describeError(error)}` };
    }
    const configured = this.#o.consumers.some((c) => c.name === name);
    if (configured) {
      remembered.revoked = [...remembered.revoked, id];
      this.#memory.set(name, remembered);
    } else {
      this.#memory.forget(name);
      this.#seen.delete(name);
    }
    await this.#memory.save().catch(() => undefined);
    const message = configured
      ? `Revoked ${masked} of ${name}; a new token is published to ${remembered.parameter}.`
      : `Revoked ${masked} of ${name} (no longer configured); SSM parameter ${remembered.parameter} is left as it is — delete it when you like.`;
    this.#event('warning', name, message);
    this.#report();
    if (configured) void this.refresh();
    return { ok: true, message };
  }

  #patch(name: string, change: Partial<Seen>): void {
    this.#seen.set(name, { usage: {}, ...this.#seen.get(name), ...change });
  }

  #event(level: 'info' | 'warning' | 'error', name: string, message: string): void {
    this.#o.status.event(level, 'consumers', message);
    const line = `Consumer ${name}: ${message}`;
    if (level === 'info') this.#o.log.info(line);
    else if (level === 'warning') this.#o.log.warning(line);
    else this.#o.log.error(line);
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
      busy: (name) => this.#queued.has(name) || this.#o.rotator.isRunning(consumerCredential(name)),
      waitingFor: (name) => this.#o.rotator.waitingFor(consumerCredential(name)),
      unusedAlertDays: this.#o.unusedAlertDays,
      now: new Date(this.#o.clock.now()),
    });
  }

  #report(): void {
    this.#o.status.updateConsumers(this.#infos());
  }
}

/** How long a failed rotation waits before the next try (the refresh schedule's default). */
const RETRY_AFTER_MS = 5 * 60_000;

function needsIssue(v: Verdict | undefined): boolean {
  return v?.kind === 'missing' || v?.kind === 'malformed' || v?.kind === 'rejected';
}
