import type { Clock } from '../clock.js';
import type { SsmSource } from '../credentials/ssm-source.js';
import { SourceError } from '../errors.js';
import {
  deleteRefreshToken,
  HaCommandError,
  listRefreshTokens,
  mintLongLivedToken,
} from '../ha/auth-commands.js';
import type { HaConnection } from '../ha/connection.js';
import type { TokenCheck } from '../ha/rest.js';
import { describeError, type Logger } from '../log.js';
import type { RotationConfig } from '../options.js';
import type { JobOutcome } from '../schedule/job.js';
import type { StatusModel } from '../status/status-model.js';
import { Token } from '../tokens/token.js';
import type { TokenManager } from '../tokens/token-manager.js';
import type { PendingRevocations } from './pending-revocations.js';

/** How long an uncertain publish waits before the add-on reads SSM to settle it. */
const SETTLE_AFTER_MS = 2 * 60_000;

export interface RotatorOptions {
  config: RotationConfig;
  connection: HaConnection;
  tokens: TokenManager;
  check: TokenCheck;
  /** Where new tokens are published; undefined for the options source (rotation refused). */
  publisher: Pick<SsmSource, 'publish' | 'read' | 'description'> | undefined;
  pending: PendingRevocations;
  status: StatusModel;
  log: Logger;
  clock: Clock;
  /** How often due revocations are looked for. */
  checkEveryMs?: number;
}

/**
 * Replaces the managed long-lived token (DESIGN.md C8), as an explicit
 * sequence with rollback: mint a new token over the live connection, prove it
 * on REST and WebSocket, publish it to SSM, switch the add-on to it, and
 * revoke the old one once the grace period is over. A minted token that was
 * not published is revoked at once; SSM and the old token stay as they were.
 */
export class Rotator {
  readonly #o: RotatorOptions;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #revoking = false;
  #current: Promise<string> | undefined;
  #stage = '';

  constructor(options: RotatorOptions) {
    this.#o = options;
    options.status.updateRotation({
      available: options.publisher !== undefined,
      unavailableReason: options.publisher
        ? undefined
        : 'Rotation needs token_source "ssm": with the options source there is nowhere to publish a new token.',
      graceMinutes: options.config.graceMinutes,
    });
  }

  /** Loads pending revocations and starts looking for due ones (at once for overdue ones). */
  async start(): Promise<void> {
    const problem = await this.#o.pending.load();
    if (problem) {
      this.#o.log.error(problem);
      this.#o.status.event('error', 'rotation', problem);
    }
    this.#report();
    this.#timer = setInterval(() => void this.revokeDue(), this.#o.checkEveryMs ?? 5000);
    this.#timer.unref();
    void this.revokeDue();
  }

  /** Stops looking for due revocations; gives a running rotation up to `waitMs` to finish. */
  async stop(waitMs = 1500): Promise<void> {
    clearInterval(this.#timer);
    if (!this.#current) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#current.catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
  }

  async rotate(trigger: 'schedule' | 'manual'): Promise<JobOutcome> {
    const { status, log, clock } = this.#o;
    if (!this.#o.publisher) {
      return {
        ok: false,
        message:
          'Rotation needs token_source "ssm": with the options source there is nowhere to publish a new token.',
      };
    }
    if (this.#running) return { ok: false, message: 'A rotation is already running.' };
    const unsettled = this.#o.pending.items.find((i) => i.reason === 'unfinished rotation');
    if (unsettled) {
      return {
        ok: false,
        message: `An earlier rotation (token ${unsettled.masked}) is not settled yet; the add-on settles it as soon as Home Assistant and SSM answer. Try again then.`,
      };
    }
    this.#running = true;
    const started = clock.now();
    status.updateRotation({ running: true, step: 'starting' });
    log.info(`Rotation started (${trigger})`);
    let outcome: JobOutcome;
    try {
      this.#current = this.#rotate();
      outcome = { ok: true, message: await this.#current };
    } catch (error) {
      outcome = {
        ok: false,
        message: error instanceof Error ? error.message : describeError(error),
      };
    } finally {
      this.#running = false;
      this.#current = undefined;
    }
    const durationMs = clock.now() - started;
    status.updateRotation({
      running: false,
      step: undefined,
      lastRunAt: new Date(started).toISOString(),
      lastResult: outcome.ok ? 'ok' : 'failed',
      lastMessage: outcome.message,
      lastDurationMs: durationMs,
    });
    status.event(
      outcome.ok ? 'info' : 'error',
      'rotation',
      `${outcome.ok ? 'Rotation done' : 'Rotation failed'} in ${durationMs} ms: ${outcome.message}`,
    );
    if (outcome.ok) log.info(`Rotation done in ${durationMs} ms: ${outcome.message}`);
    else log.error(`Rotation failed in ${durationMs} ms: ${outcome.message}`);
    return outcome;
  }

  /** Deletes, in Home Assistant, every replaced token whose grace period is over. */
  async revokeDue(): Promise<void> {
    const conn = this.#o.connection.connection;
    // A rotation in progress owns its unfinished entry.
    if (this.#revoking || this.#running || !conn) return;
    this.#revoking = true;
    try {
      for (const due of this.#o.pending.due(this.#o.clock.now())) {
        let item = due;
        // Never revoke the token the add-on is still using (a switch that has not happened yet).
        if (item.refreshTokenId === this.#o.tokens.peek()?.refreshTokenId) continue;
        if (item.clientName && item.refreshTokenId.startsWith('client:')) {
          const found = (await listRefreshTokens(conn)).find(
            (t) => t.client_name === item.clientName,
          );
          if (!found) {
            await this.#o.pending.remove(item.refreshTokenId); // the mint never happened
            this.#report();
            continue;
          }
          const resolved = { ...item, refreshTokenId: found.id };
          await this.#o.pending.add(resolved);
          await this.#o.pending.remove(item.refreshTokenId);
          item = resolved;
        }
        if (item.reason === 'unfinished rotation') {
          const minted = { refreshTokenId: item.refreshTokenId, masked: item.masked };
          const published = await this.#publishedToken(item.refreshTokenId);
          if (published === undefined) continue; // SSM cannot say now: ask again later
          if (published) {
            if (item.replaces) await this.#scheduleRevocation(item.replaces, minted);
            await this.#o.pending.remove(item.refreshTokenId);
            this.#o.status.event(
              'info',
              'rotation',
              `Finished an interrupted rotation: ${publishedLine(item)}`,
            );
            this.#report();
            continue;
          }
        }
        try {
          await deleteRefreshToken(conn, item.refreshTokenId);
          this.#o.status.event(
            'info',
            'rotation',
            `Revoked the replaced token ${item.masked} (${item.reason})`,
          );
          this.#o.log.info(`Revoked the replaced token ${item.masked}`);
        } catch (error) {
          // invalid_token_id: HA no longer knows it — someone revoked it already.
          if (!(error instanceof HaCommandError && error.code === 'invalid_token_id')) {
            this.#o.log.warning(`Could not revoke ${item.masked} yet; will retry`, error);
            continue;
          }
        }
        await this.#o.pending.remove(item.refreshTokenId);
        this.#report();
      }
    } finally {
      this.#revoking = false;
    }
  }

  async #rotate(): Promise<string> {
    const { connection, tokens, check, config, clock, pending } = this.#o;
    const publisher = this.#publisher();
    const conn = connection.connection;
    if (!conn)
      throw new Error(
        'Not connected to Home Assistant: rotation mints the new token over the live connection.',
      );
    const old = await tokens.current();

    this.#step('mint');
    const clientName = `HA Token Manager ${new Date(clock.now()).toISOString()}`;
    const replaces = old.refreshTokenId
      ? { refreshTokenId: old.refreshTokenId, masked: old.masked }
      : undefined;
    const placeholder = `client:${clientName}`;
    // Written before the request: if its answer never arrives, the token is found by name.
    await pending.add({
      refreshTokenId: placeholder,
      masked: '(being minted)',
      clientName,
      dueAt: new Date(clock.now()).toISOString(),
      reason: 'unfinished rotation',
      replaces,
    });
    let minted: Token;
    try {
      minted = Token.parse(
        await mintLongLivedToken(conn, clientName, config.lifespanDays),
        'the newly minted token',
      );
    } catch (error) {
      // HA answered, so nothing was minted; otherwise the entry finds out by name.
      if (error instanceof HaCommandError) await pending.remove(placeholder);
      this.#report();
      throw new Error(mintFailure(error));
    }
    const mintedId = minted.refreshTokenId;
    if (!mintedId)
      throw new Error(
        `Home Assistant minted a token without a refresh-token id (${minted.masked}); revoke it by hand.`,
      );
    // Until the switch is done, the new token is an unfinished rotation: if the
    // add-on stops now, the next start finishes or undoes it (revokeDue).
    await pending.add({
      refreshTokenId: mintedId,
      masked: minted.masked,
      dueAt: new Date(clock.now()).toISOString(),
      reason: 'unfinished rotation',
      replaces,
    });
    await pending.remove(placeholder);
    this.#report();
    this.#o.status.event(
      'info',
      'rotation',
      `Minted token ${minted.masked} (lifespan ${config.lifespanDays} days)`,
    );

    let version: number | undefined;
    try {
      this.#step('verify');
      await check(minted);
      await connection.verify(minted);
      this.#step('publish');
      version = await publisher.publish(minted.reveal(), config.kmsKeyId);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // A publish that failed in transit may have landed: never revoke what SSM holds.
      const inTransit =
        this.#stage === 'publish' && error instanceof SourceError && error.transient;
      const published = this.#stage === 'publish' ? await this.#holds(minted) : false;
      if (published === undefined || (inTransit && !published)) {
        // The write may still land (SDK retries): decide later, from what SSM then holds.
        await pending.add({
          refreshTokenId: mintedId,
          masked: minted.masked,
          dueAt: new Date(clock.now() + SETTLE_AFTER_MS).toISOString(),
          reason: 'unfinished rotation',
          replaces,
        });
        this.#report();
        throw new Error(
          `${reason} Whether ${publisher.description} holds the new token is not certain yet; the add-on settles it within ${SETTLE_AFTER_MS / 60_000} minutes (keeping the new token if SSM has it, revoking it if not).`,
        );
      }
      if (!published) {
        await this.#rollBack(minted);
        throw new Error(
          `${reason} The new token was revoked; ${publisher.description} and the current token are unchanged.`,
        );
      }
    }
    this.#o.status.event(
      'info',
      'rotation',
      `Published token ${minted.masked}${version === undefined ? '' : ` as version ${version}`} to ${publisher.description}`,
    );

    this.#step('switch');
    tokens.confirm(minted);
    const refreshed = await tokens.refresh({ fresh: true });
    const switched = (await tokens.current()).equals(minted);
    // In this order: a stop between the two writes must not lose the old token's revocation.
    const dueAt = await this.#scheduleRevocation(old, minted);
    await pending.remove(mintedId);
    this.#report();
    if (!switched) {
      throw new Error(
        `${publisher.description} holds the new token, but the add-on did not switch to it yet (${refreshed.message}); the next refresh will. ${dueAt ? `The old token is revoked at ${dueAt}.` : ''}`,
      );
    }
    const revocation = dueAt
      ? `the old token ${old.masked} keeps working until ${dueAt}, then it is revoked.`
      : 'the old token has no refresh-token id: revoke it by hand in Home Assistant.';
    return `Rotated to token ${minted.masked}${version === undefined ? '' : ` (version ${version})`}; ${revocation}`;
  }

  /** Queues the revocation of the replaced token after the grace period; returns when, if it could. */
  async #scheduleRevocation(
    old: { refreshTokenId?: string; masked: string },
    replacement: { refreshTokenId?: string },
  ): Promise<string | undefined> {
    if (!old.refreshTokenId || old.refreshTokenId === replacement.refreshTokenId) return undefined;
    const dueAt = new Date(
      this.#o.clock.now() + this.#o.config.graceMinutes * 60_000,
    ).toISOString();
    await this.#o.pending.add({
      refreshTokenId: old.refreshTokenId,
      masked: old.masked,
      dueAt,
      reason: 'replaced by rotation',
    });
    this.#report();
    return dueAt;
  }

  /** Whether the parameter holds the token with this refresh-token id; undefined when SSM cannot say. */
  async #publishedToken(refreshTokenId: string): Promise<boolean | undefined> {
    try {
      const reading = await this.#publisher().read();
      return Token.parse(reading.value, 'the parameter').refreshTokenId === refreshTokenId;
    } catch {
      return undefined;
    }
  }

  /** Whether the parameter holds `token` now; undefined when SSM cannot say. */
  async #holds(token: Token): Promise<boolean | undefined> {
    try {
      return (await this.#publisher().read()).value.trim() === token.reveal();
    } catch {
      return undefined;
    }
  }

  #publisher(): NonNullable<RotatorOptions['publisher']> {
    return this.#o.publisher as NonNullable<RotatorOptions['publisher']>;
  }

  /** Revokes a minted token that must not live on; if that fails, its pending entry retries it. */
  async #rollBack(minted: Token): Promise<void> {
    this.#step('roll back');
    const id = minted.refreshTokenId as string;
    try {
      const conn = this.#o.connection.connection;
      if (!conn) throw new Error('not connected');
      await deleteRefreshToken(conn, id);
      await this.#o.pending.remove(id);
      this.#report();
      this.#o.status.event(
        'warning',
        'rotation',
        `Rolled back: revoked the new token ${minted.masked}`,
      );
    } catch (error) {
      this.#o.log.error(`Could not revoke the new token ${minted.masked} yet; retrying`, error);
    }
  }

  #step(step: string): void {
    this.#stage = step;
    this.#o.status.updateRotation({ step });
    this.#o.log.debug(`Rotation step: ${step}`);
  }

  #report(): void {
    this.#o.status.updateRotation({
      pending: this.#o.pending.items.map(({ masked, dueAt }) => ({ masked, dueAt })),
    });
  }
}

function mintFailure(error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof HaCommandError && error.code === 'unknown_error') {
    return (
      `Home Assistant refused to mint a long-lived token (${detail}). The managed token must belong to a normal user: ` +
      "Home Assistant's system users (such as the Supervisor's) cannot own long-lived tokens. Create a dedicated user " +
      '(Settings → People → Users), create a long-lived token as that user, and store it in the parameter.'
    );
  }
  return `Could not mint a new token: ${detail}`;
}

function publishedLine(item: { masked: string; replaces?: { masked: string } }): string {
  return `${item.masked} is in the parameter${item.replaces ? `; ${item.replaces.masked} is revoked after the grace period` : ''}.`;
}
