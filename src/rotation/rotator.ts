import type { Clock } from '../clock.js';
import type { SsmSource } from '../credentials/ssm-source.js';
import { failpoint } from '../failpoints.js';
import { currentUserId, mintLongLivedToken } from '../ha/auth-commands.js';
import type { HaConnection } from '../ha/connection.js';
import type { TokenCheck } from '../ha/rest.js';
import { describeError, type Logger } from '../log.js';
import type { RotationConfig } from '../options.js';
import type { JobOutcome } from '../schedule/job.js';
import type { StatusModel } from '../status/status-model.js';
import { Token } from '../tokens/token.js';
import type { TokenManager } from '../tokens/token-manager.js';
import { type CredentialLookup, type ManagedCredential, uniqueClientName } from './credential.js';
import type { Holder } from './holders.js';
import { RotationJournal } from './journal.js';
import {
  messageOf,
  mintFailure,
  outcomeUnknown,
  rotationOutcome,
  tokenToReplace,
} from './outcome.js';
import {
  ADDON_CREDENTIAL,
  isUnsettled,
  type RotationRecord,
  type TokenRef,
  WATCH_MINUTES,
} from './record.js';
import { rotationInfo } from './report.js';
import { Settler } from './settler.js';

export interface RotatorOptions {
  config: RotationConfig;
  connection: HaConnection;
  tokens: TokenManager;
  check: TokenCheck;
  /** Where new tokens are published; undefined for the options source (rotation refused). */
  publisher: Pick<SsmSource, 'publish' | 'read' | 'description'> | undefined;
  dataDir: string;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  /** How often unfinished rotations are looked at. */
  checkEveryMs?: number;
  /** The consumers' credentials (src/consumers/), by journal key; bound late by main.ts. */
  consumers?: CredentialLookup;
  /** The consumers' current tokens (their last-seen ones, also of consumers no longer configured). */
  consumerHolders?: () => readonly Holder[];
}

const NO_PUBLISHER =
  'Rotation needs token_source "ssm": with the options source there is nowhere to publish a new token.';

/**
 * Replaces the add-on's long-lived token: mint a new one over the live
 * connection, prove it on REST and WebSocket, publish it to SSM. Each step's
 * record is in the journal before the step; everything after the publish —
 * the switch, the revocation after the grace period, and every roll-back — is
 * the settle worker's, the same path a restart takes (docs/rotation.md).
 * Run bookkeeping (when, how long, the result) is the rotation Job's.
 */
export class Rotator {
  readonly #o: RotatorOptions;
  readonly #journal: RotationJournal;
  readonly #settler: Settler;
  /** The add-on's own credential; undefined with the options source (nowhere to publish). */
  readonly #addon: ManagedCredential | undefined;
  /** Credentials rotating now. */
  readonly #running = new Set<string>();
  #step: string | undefined;
  #problems: string[] = [];
  /** Set by start() once the journal is read: before, a rotation would overwrite records it has not seen. */
  #markLoaded: () => void = () => undefined;
  readonly #loaded = new Promise<void>((resolve) => (this.#markLoaded = resolve));

  constructor(options: RotatorOptions) {
    this.#o = options;
    this.#journal = new RotationJournal(options.dataDir, options.clock);
    this.#addon = options.publisher ? addonCredential(options, options.publisher) : undefined;
    this.#settler = new Settler({
      journal: this.#journal,
      connection: options.connection,
      credentials: (id, target) => this.credential(id, target),
      status: options.status,
      log: options.log,
      clock: options.clock,
      changed: () => this.#report(),
      checkEveryMs: options.checkEveryMs,
      holders: () => this.holders(),
    });
    // The pending list never shows the token in use: recomputed when it changes.
    options.tokens.onChange?.(() => this.#report());
    this.#report();
  }

  /** Reads the journal (once): `records` is then what it holds. start() calls it when nobody did. */
  load(): Promise<void> {
    this.#loading ??= this.#journal
      .load()
      .finally(() => this.#markLoaded())
      .then((problems) => {
        this.#problems = problems;
        for (const problem of problems) {
          this.#o.log.error(problem);
          this.#o.status.event('error', 'rotation', problem);
        }
        this.#report();
      });
    return this.#loading;
  }

  #loading: Promise<void> | undefined;

  /** Reads the journal and starts settling what is unfinished in it. */
  async start(): Promise<void> {
    await this.load();
    // The connection loads the token already: this shares that read.
    this.#settler.start(this.#o.tokens.current());
  }

  /** The journal's records (read-only), e.g. to tell a token the add-on minted from one it adopted. */
  get records(): readonly RotationRecord[] {
    return this.#journal.records;
  }

  /** What an unfinished record of `id` waits for, if any. */
  waitingFor(id: string): string | undefined {
    const open = this.#journal.records.find((r) => r.credential === id && isUnsettled(r));
    return open ? (this.#settler.waiting.get(open.clientName) ?? open.note) : undefined;
  }

  /** Every credential's current token: the add-on's in use, and each consumer's last seen. */
  holders(): Holder[] {
    const inUse = this.#o.tokens.peek()?.refreshTokenId;
    const addon: Holder[] = inUse
      ? [{ credential: ADDON_CREDENTIAL, label: "the add-on's connection", refreshTokenId: inUse }]
      : [];
    return [...addon, ...(this.#o.consumerHolders?.() ?? [])];
  }

  isRunning(id: string): boolean {
    return this.#running.has(id);
  }

  /** The credential behind a journal key: the add-on's, or a consumer's (also one no longer configured). */
  credential(id: string, target?: string): ManagedCredential | undefined {
    if (id === ADDON_CREDENTIAL) return this.#addon;
    return this.#o.consumers?.(id, target);
  }

  /** Stops the settle worker; gives a running rotation up to `waitMs` to finish. */
  async stop(waitMs = 1500): Promise<void> {
    this.#settler.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#settler.exclusive(async () => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
  }

  /** One settle pass now, after any pass or rotation in progress. Never throws. */
  async settle(): Promise<void> {
    const settler = this.#settler;
    await this.#loaded;
    await settler.exclusive(() => settler.pass()).catch(() => undefined);
  }

  /**
   * Rotates now. A scheduled run's outcome is recorded and announced by its
   * Job; a manual one is announced here, once.
   */
  async rotate(trigger: 'schedule' | 'manual', id = ADDON_CREDENTIAL): Promise<JobOutcome> {
    const settler = this.#settler;
    const credential = this.credential(id);
    if (!credential)
      return {
        ok: false,
        message: id === ADDON_CREDENTIAL ? NO_PUBLISHER : `There is no credential "${id}".`,
      };
    if (this.#running.has(id)) return { ok: false, message: 'A rotation is already running.' };
    this.#running.add(id);
    this.#report();
    let outcome: JobOutcome;
    try {
      await this.#loaded;
      outcome = await settler.exclusive(() => this.#rotate(settler, credential));
    } catch (error) {
      outcome = { ok: false, message: describeError(error) };
    } finally {
      this.#running.delete(id);
      this.#step = undefined;
      this.#report();
    }
    if (trigger === 'manual') {
      const who = id === ADDON_CREDENTIAL ? '' : ` of ${credential.label}`;
      const line = `Rotation${who} ${outcome.ok ? 'done' : 'failed'}: ${outcome.message}`;
      this.#o.status.event(outcome.ok ? 'info' : 'error', 'rotation', line);
      if (outcome.ok) this.#o.log.info(line);
      else this.#o.log.error(line);
    }
    return outcome;
  }

  async #rotate(settler: Settler, credential: ManagedCredential): Promise<JobOutcome> {
    const { connection, clock, status, journal } = { ...this.#o, journal: this.#journal };
    const { policy, target } = credential;

    // An earlier rotation first: settled now if it can be, else it blocks this one.
    await settler.pass();
    const open = journal.records.find((r) => r.credential === credential.id && isUnsettled(r));
    if (open) {
      const why = settler.waiting.get(open.clientName) ?? open.note ?? '';
      return {
        ok: false,
        message: `An earlier rotation ("${open.clientName}", ${open.state.kind}) is not settled yet: ${why} The add-on keeps trying every few seconds; rotate again once it is settled.`,
      };
    }
    const conn = connection.connection;
    if (!conn) {
      return {
        ok: false,
        message:
          'Not connected to Home Assistant: rotation mints the new token over the live connection.',
      };
    }
    const replacing = await credential.toReplace();
    if (typeof replacing === 'string') return { ok: false, message: replacing };

    this.#setStep('mint');
    const clientName = credential.clientName(new Date(clock.now()));
    const now = new Date(clock.now()).toISOString();
    // HA's token list is this user's only: a later look as someone else proves nothing.
    const haUser = await currentUserId(conn).catch(() => undefined);
    let record: RotationRecord = await journal.put({
      credential: credential.id,
      target: credential.targetName,
      clientName,
      haUser,
      startedAt: now,
      updatedAt: now,
      replaced: replacing.token
        ? { ...ref(replacing.token), ...(replacing.foreign ? { foreign: true } : {}) }
        : undefined,
      state: { kind: 'minting' },
    });
    this.#report();
    let minted: Token;
    try {
      failpoint('rotation.mint.before');
      const value = await mintLongLivedToken(conn, clientName, policy.lifespanDays);
      failpoint('rotation.mint.after');
      minted = Token.parse(value, 'the newly minted token');
      if (!minted.refreshTokenId) throw new Error('the new token has no refresh-token id');
    } catch (error) {
      // Minted or not, Home Assistant's token list says (by the unique name).
      if (outcomeUnknown(error)) record = await this.#watch(record);
      return this.#settled(settler, clientName, mintFailure(error));
    }
    record = await journal.put({ ...record, minted: ref(minted), state: { kind: 'minted' } });
    const who = credential.id === ADDON_CREDENTIAL ? '' : ` for ${credential.label}`;
    status.event(
      'info',
      'rotation',
      `Minted token ${minted.masked}${who} (lifespan ${policy.lifespanDays} days)`,
    );
    this.#report();

    let version: number | undefined;
    try {
      this.#setStep('verify');
      await credential.verify(minted);
    } catch (error) {
      return this.#settled(settler, clientName, `Verification failed: ${messageOf(error)}`);
    }
    let publishError: unknown;
    try {
      this.#setStep('publish');
      failpoint('rotation.publish.before');
      version = await target.publish(minted.reveal(), policy.kmsKeyId);
      failpoint('rotation.publish.after');
    } catch (error) {
      publishError = error;
    }
    if (publishError === undefined) {
      record = await journal.put({
        ...record,
        state: { kind: 'published', version, publishedAt: new Date(clock.now()).toISOString() },
      });
      status.event(
        'info',
        'rotation',
        `Published token ${minted.masked}${version === undefined ? '' : ` as version ${version}`} to ${target.description}`,
      );
    }
    if (outcomeUnknown(publishError)) record = await this.#watch(record);
    // Whether the publish landed (its answer may be lost), SSM now says.
    this.#setStep('settle');
    return this.#settled(
      settler,
      clientName,
      publishError === undefined ? undefined : messageOf(publishError),
      minted,
      version,
    );
  }

  /** Runs the settle pass for this rotation and says where it ended. */
  async #settled(
    settler: Settler,
    clientName: string,
    failure: string | undefined,
    minted?: Token,
    version?: number,
  ): Promise<JobOutcome> {
    await settler.pass(clientName, true);
    return rotationOutcome({
      record: this.#journal.records.find((r) => r.clientName === clientName),
      waiting: settler.waiting.get(clientName),
      failure,
      minted,
      version,
    });
  }

  /** The side effect lost its answer: "not there" proves nothing for a while. */
  #watch(record: RotationRecord): Promise<RotationRecord> {
    const until = new Date(this.#o.clock.now() + WATCH_MINUTES * 60_000).toISOString();
    return this.#journal.put({ ...record, watchUntil: until });
  }

  #setStep(step: string): void {
    this.#step = step;
    this.#report();
    this.#o.log.debug(`Rotation step: ${step}`);
  }

  #report(): void {
    this.#o.status.updateRotation(
      rotationInfo({
        available: this.#o.publisher !== undefined,
        unavailableReason: this.#o.publisher ? undefined : NO_PUBLISHER,
        graceMinutes: this.#o.config.graceMinutes,
        running: this.#running.has(ADDON_CREDENTIAL),
        step: this.#step,
        records: this.#journal.records,
        waiting: this.#settler.waiting,
        inUse: this.#o.tokens.peek()?.refreshTokenId,
        problems: this.#problems,
      }),
    );
  }
}

function ref(token: Token): TokenRef {
  return {
    refreshTokenId: token.refreshTokenId ?? '',
    masked: token.masked,
    fingerprint: token.fingerprint,
  };
}

/** The add-on's own token as a managed credential: its target is the source parameter, and it switches the live connection. */
function addonCredential(
  o: RotatorOptions,
  publisher: NonNullable<RotatorOptions['publisher']>,
): ManagedCredential {
  return {
    id: ADDON_CREDENTIAL,
    label: "the add-on's token",
    target: {
      description: publisher.description,
      // A missing source parameter is not "empty" for the add-on: its read throws, recovery waits.
      read: async () => ({ value: (await publisher.read()).value }),
      publish: (value, kmsKeyId) => publisher.publish(value, kmsKeyId),
    },
    policy: {
      lifespanDays: o.config.lifespanDays,
      graceMinutes: o.config.graceMinutes,
      kmsKeyId: o.config.kmsKeyId,
    },
    clientName: (at) => uniqueClientName('HA Token Manager ', at),
    inUse: () => o.tokens.peek()?.refreshTokenId,
    switchTo: async (expected) => {
      const outcome = await o.tokens.refresh({ fresh: true });
      return { switched: o.tokens.peek()?.refreshTokenId === expected, message: outcome.message };
    },
    verify: async (token) => {
      await o.check(token);
      await o.connection.verify(token);
    },
    toReplace: async () => {
      const token = await tokenToReplace(publisher, o.tokens);
      return typeof token === 'string' ? token : { token };
    },
  };
}
