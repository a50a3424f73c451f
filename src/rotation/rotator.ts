import type { Clock } from '../clock.js';
import type { SsmSource } from '../credentials/ssm-source.js';
import type { HaConnection } from '../ha/connection.js';
import type { TokenCheck } from '../ha/rest.js';
import { describeError, type Logger } from '../log.js';
import type { RotationConfig } from '../options.js';
import type { JobOutcome } from '../schedule/job.js';
import type { StatusModel } from '../status/status-model.js';
import type { TokenManager } from '../tokens/token-manager.js';
import { addonCredential } from './addon-credential.js';
import type { CredentialLookup, ManagedCredential } from './credential.js';
import type { Holder } from './holders.js';
import { RotationJournal } from './journal.js';
import { ADDON_CREDENTIAL, isUnsettled, type RotationRecord } from './record.js';
import { rotationInfo } from './report.js';
import { Settler } from './settler.js';
import { rotateCredential } from './steps.js';

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
  /** The consumers' credentials (src/consumers/), by journal key; bound late by src/wiring/credential-work.ts. */
  consumers?: CredentialLookup;
  /** The consumers' current tokens (their last-seen ones, also of consumers no longer configured). */
  consumerHolders?: () => readonly Holder[];
}

const NO_PUBLISHER =
  'Rotation needs token_source "ssm": with the options source there is nowhere to publish a new token.';

/**
 * Replaces the add-on's long-lived token: mint a new one over the live
 * connection, prove it on REST and WebSocket, publish it to SSM (the steps
 * are in steps.ts). Each step's record is in the journal before the step;
 * everything after the publish — the switch, the revocation after the grace
 * period, and every roll-back — is the settle worker's, the same path a
 * restart takes (docs/rotation.md). Run bookkeeping (when, how long, the
 * result) is the rotation Job's.
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

  #rotate(settler: Settler, credential: ManagedCredential): Promise<JobOutcome> {
    return rotateCredential(
      {
        connection: this.#o.connection,
        clock: this.#o.clock,
        status: this.#o.status,
        journal: this.#journal,
        settler,
        setStep: (step) => this.#setStep(step),
        report: () => this.#report(),
      },
      credential,
    );
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
