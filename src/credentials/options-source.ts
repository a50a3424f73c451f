import { SourceError } from '../errors.js';
import type { CredentialSource, SourceReading } from './source.js';

/** The token typed into the add-on's Options tab (`access_token`). */
export class OptionsSource implements CredentialSource {
  readonly kind = 'options';
  readonly description = 'the access_token option';
  readonly remedy = 'paste it into the access_token option (Options tab), then restart the add-on';
  readonly #value: string | undefined;

  constructor(value: string | undefined) {
    this.#value = value;
  }

  async read(): Promise<SourceReading> {
    if (this.#value === undefined) {
      throw new SourceError(
        'The access_token option is empty. Paste a long-lived access token into the Options tab.',
      );
    }
    return { value: this.#value };
  }
}
