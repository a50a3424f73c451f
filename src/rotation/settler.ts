import type { Clock } from '../clock.js';
import { failpoint } from '../failpoints.js';
import { deleteRefreshToken, HaCommandError } from '../ha/auth-commands.js';
import type { HaConnection } from '../ha/connection.js';
import { describeError, type Logger } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import type { CredentialLookup, ManagedCredential } from './credential.js';
import type { Holder } from './holders.js';
import { JournalWriteError, type RotationJournal } from './journal.js';
import { isTerminal, type RotationRecord } from './record.js';
import { type Action, recover } from './recovery.js';
import { WorldReader } from './world.js';

// The settle worker: for every unfinished record in the journal, it gathers
// what the world holds now, asks recover() what to do, does it, and goes on
// until recover() says wait. The rotation sequence calls the same pass after
// its last side effect, so a rotation that went well and one interrupted by a
// crash or a lost answer end the same way (docs/rotation.md).

/** Steps one record may take in one pass: enough for minted → published → switch → revoking. */
const MAX_STEPS = 6;
/** The longest pause between periodic looks at a record that keeps waiting (each look may cost a GetParameter). */
const MAX_PACE_MS = 5 * 60_000;

export interface SettlerOptions {
  journal: RotationJournal;
  connection: Pick<HaConnection, 'connection'>;
  /** The credential of each record: its target, policy and how it is switched. */
  credentials: CredentialLookup;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  /** Called after every change of the journal or of what a record waits for. */
  changed: () => void;
  /** Every credential's current token (src/rotation/holders.ts): none is revoked while another holds it. */
  holders?: () => readonly Holder[];
  /** How often unfinished records are looked at. */
  checkEveryMs?: number;
}

export class Settler {
  readonly #o: SettlerOptions;
  #timer: NodeJS.Timeout | undefined;
  #lock: Promise<unknown> = Promise.resolve();
  #locked = false;
  /** What each record waits for now (by client_name), for the page; not persisted. */
  readonly waiting = new Map<string, string>();
  /** The last failure logged per record, so a failure that repeats every few seconds is logged once. */
  readonly #lastFailure = new Map<string, string>();
  /** A waiting record's next periodic look, and the pause after it: doubling from checkEveryMs to 5 min. */
  readonly #pace = new Map<string, { at: number; pauseMs: number }>();

  constructor(options: SettlerOptions) {
    this.#o = options;
  }

  /**
   * Looks every few seconds; the first look once `ready` settles (the token
   * manager's first load): the add-on then knows which token it uses, and a
   * switch does not read SSM a second time at start.
   */
  start(ready: Promise<unknown> = Promise.resolve()): void {
    this.#timer = setInterval(() => void this.tick(), this.#o.checkEveryMs ?? 5000);
    this.#timer.unref();
    void ready.catch(() => undefined).then(() => this.tick());
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Runs `fn` with the journal to itself: no pass and no other rotation runs meanwhile. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(async () => {
      this.#locked = true;
      try {
        return await fn();
      } finally {
        this.#locked = false;
      }
    });
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /** The periodic pass; skipped while a rotation or another pass holds the journal. Never throws. */
  async tick(): Promise<void> {
    if (this.#locked) return;
    await this.exclusive(() => this.pass(undefined, false, true)).catch((error) =>
      this.#o.log.error('Rotation settle pass failed', error),
    );
  }

  /**
   * One pass over the unfinished records (only `clientName`'s when given).
   * Call only inside `exclusive`. Each record's failure is logged with what
   * was being done and does not stop the others. `quiet`: the caller (the
   * rotation that just ran) reports the outcome itself, so the steps taken
   * here are not announced a second time.
   */
  async pass(clientName?: string, quiet = false, paced = false): Promise<void> {
    const world = new WorldReader(this.#o);
    const records = this.#o.journal.records.filter(
      (r) => !isTerminal(r) && (clientName === undefined || r.clientName === clientName),
    );
    for (const first of records) {
      const pace = this.#pace.get(first.clientName);
      if (paced && pace && this.#o.clock.now() < pace.at) continue;
      // Not due yet: no need to ask SSM or Home Assistant anything.
      if (first.state.kind === 'revoking' && this.#o.clock.now() < Date.parse(first.state.dueAt)) {
        this.#waiting(first, `Waiting for the end of the grace period (${first.state.dueAt}).`);
        continue;
      }
      let record = first;
      let action: Action | undefined;
      let waitingFor: string | undefined;
      const credential = this.#o.credentials(first.credential, first.target);
      if (!credential) {
        this.#waiting(first, `Waiting for the credential "${first.credential}" to be known again.`);
        continue;
      }
      try {
        for (let step = 0; step < MAX_STEPS; step++) {
          action = recover(record, await world.read(record, credential));
          if (action.kind === 'none' || action.kind === 'wait') {
            waitingFor = action.kind === 'wait' ? action.reason : undefined;
            break;
          }
          const next = await this.#do(record, action, world, quiet, credential);
          if (typeof next === 'string') {
            waitingFor = next;
            break;
          }
          record = next;
        }
        this.#waiting(record, waitingFor && `${waitingFor}${world.lastErrors()}`);
        this.#lastFailure.delete(record.clientName);
      } catch (error) {
        this.#failed(record, action, error);
      }
      if (!this.waiting.has(record.clientName)) this.#pace.delete(record.clientName);
      else {
        const pauseMs = pace ? Math.min(pace.pauseMs * 2, MAX_PACE_MS) : this.#checkEveryMs();
        this.#pace.set(record.clientName, { at: this.#o.clock.now() + pauseMs, pauseMs });
      }
    }
  }

  /** Does one action; returns the record as written after it, or what it waits for. */
  async #do(
    record: RotationRecord,
    action: Exclude<Action, { kind: 'none' | 'wait' }>,
    world: WorldReader,
    quiet: boolean,
    credential: ManagedCredential,
  ): Promise<RotationRecord | string> {
    const { journal, status, log, connection } = this.#o;
    if (action.kind === 'switch') {
      // Only the add-on's own credential has a live connection to switch.
      if (!credential.switchTo) return record;
      failpoint('rotation.switch.before');
      const outcome = await credential.switchTo(record.minted?.refreshTokenId);
      failpoint('rotation.switch.after');
      world.forget();
      if (!outcome.switched)
        return `Waiting for the add-on to switch to the new token: ${outcome.message}`;
      return record;
    }
    if (action.kind === 'revoke') {
      const conn = connection.connection;
      if (!conn) return `Waiting for Home Assistant, to revoke ${action.token.masked}.`;
      failpoint('rotation.revoke.before');
      try {
        await deleteRefreshToken(conn, action.token.refreshTokenId);
      } catch (error) {
        // invalid_token_id: Home Assistant no longer has it — revoked already.
        if (!(error instanceof HaCommandError && error.code === 'invalid_token_id')) throw error;
      }
      failpoint('rotation.revoke.after');
      world.forget();
    }
    const next = await journal.put({
      ...record,
      state: action.next.state,
      minted: action.next.minted ?? record.minted,
      note: action.next.note,
      // The watch is for the side effect of the state it was set in (docs/rotation.md).
      watchUntil: action.next.state.kind === record.state.kind ? record.watchUntil : undefined,
    });
    const level =
      next.state.kind === 'rolled-back' || next.state.kind === 'abandoned' ? 'warning' : 'info';
    const line = `Rotation "${record.clientName}": ${next.state.kind}: ${action.next.note}`;
    if (quiet) log.debug(line);
    else {
      const who = record.credential === 'addon' ? '' : `${credential.label}: `;
      status.event(level, 'rotation', `${who}${action.next.note}`);
      log[level](line);
    }
    this.#o.changed();
    return next;
  }

  #checkEveryMs(): number {
    return this.#o.checkEveryMs ?? 5000;
  }

  #waiting(record: RotationRecord, reason: string | undefined): void {
    const before = this.waiting.get(record.clientName);
    if (reason === undefined || isTerminal(record)) this.waiting.delete(record.clientName);
    else this.waiting.set(record.clientName, reason);
    if (before !== this.waiting.get(record.clientName)) this.#o.changed();
  }

  #failed(record: RotationRecord, action: Action | undefined, error: unknown): void {
    // A journal write names its file and error code only: the cause names a
    // random temporary file, which would make every retry a new line.
    const journal = error instanceof JournalWriteError;
    const what = journal
      ? `record "${error.record.state.kind}" in the journal`
      : action && action.kind !== 'none' && action.kind !== 'wait'
        ? describeAction(action)
        : 'settle it';
    const detail = journal ? `${error.name}: ${error.message}` : describeError(error);
    const line = `Rotation "${record.clientName}" (${record.state.kind}): could not ${what}: ${detail}. Trying again after ${Math.round(this.#checkEveryMs() / 1000)} s, less often while it lasts (at most every 5 min).`;
    this.#waiting(record, line);
    if (this.#lastFailure.get(record.clientName) === line) return;
    this.#lastFailure.set(record.clientName, line);
    this.#o.log.warning(line);
    this.#o.status.event('warning', 'rotation', line);
  }
}

function describeAction(action: Exclude<Action, { kind: 'none' | 'wait' }>): string {
  if (action.kind === 'revoke') return `revoke ${action.token.masked}`;
  if (action.kind === 'switch') return 'switch to the new token';
  return `record "${action.next.state.kind}" in the journal`;
}
