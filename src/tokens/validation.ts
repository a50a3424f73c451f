import { TokenRejectedError } from '../errors.js';
import type { TokenCheck } from '../ha/rest.js';
import { capitalize, type Logger } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import { hashOf, KnownBadTokens } from './known-bad.js';
import type { Token } from './token.js';

// What Home Assistant said of each token: accepted ones are not checked again,
// rejected ones are never sent again — each send of a bad token is a failed
// login in HA (docs/connection.md).

export interface TokenValidationOptions {
  check: TokenCheck;
  status: StatusModel;
  log: Logger;
  /** Where rejected tokens are remembered; memory only when absent. */
  knownBad?: KnownBadTokens;
  /** What the user does about a rejected token, in words. */
  remedy: () => string;
  /** Home Assistant rejected `token` on the check (the token manager's reject()). */
  rejected: (token: Token, reason: string) => void;
}

export class TokenValidation {
  readonly #o: TokenValidationOptions;
  /** Every token HA rejected (as hashes), kept across restarts when given a file. */
  readonly #knownBad: KnownBadTokens;
  /** SHA-256 of tokens HA accepted, so a re-read of the same token costs no request. */
  readonly #validated = new Set<string>();

  constructor(options: TokenValidationOptions) {
    this.#o = options;
    this.#knownBad = options.knownBad ?? KnownBadTokens.inMemory();
  }

  isKnownBad(token: Token): boolean {
    return this.#knownBad.has(token);
  }

  /** Home Assistant accepted `token`. */
  accepted(token: Token): void {
    this.#validated.add(hashOf(token));
  }

  /** Home Assistant rejected `token`: remembered (in the file when there is one), no longer valid. */
  rejected(token: Token): void {
    this.#knownBad
      .add(token)
      .catch((error) => this.#o.log.warning('Could not save the rejected-token list', error));
    this.#validated.delete(hashOf(token));
  }

  /** Throws unless `token` is valid: known-bad ones without a request, others once per token. */
  async validate(token: Token, origin: string): Promise<void> {
    if (this.isKnownBad(token)) {
      throw new TokenRejectedError(
        `${capitalize(origin)} still holds token ${token.masked}, which Home Assistant rejected. ${this.#o.remedy()}`,
      );
    }
    const key = hashOf(token);
    if (this.#validated.has(key)) return;
    try {
      await this.#o.check(token);
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
      this.#o.rejected(token, 'GET /api/ answered 401');
      throw new TokenRejectedError(`${error.message} ${this.#o.remedy()}`, { cause: error });
    }
    this.#validated.add(key);
    this.#o.status.event('info', 'token', `Token ${token.masked} from ${origin} is valid`);
    this.#o.log.info(`Validated token ${token.masked} (${token.fingerprint}) from ${origin}`);
  }
}
