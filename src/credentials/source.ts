/** What a credential source hands the token manager: the raw value and its metadata. */
export interface SourceReading {
  /** The value as stored; the token manager checks its shape before any use. */
  readonly value: string;
  /** Monotonic version where the source has one (SSM's parameter `Version`). */
  readonly version?: number;
  readonly modifiedAt?: Date;
}

/** Where a token comes from. One implementation per source; see docs/architecture.md, "Modules". */
export interface CredentialSource {
  readonly kind: 'options' | 'ssm';
  /** Names the place in words, for messages: "the access_token option", "SSM parameter /ha/token". */
  readonly description: string;
  /** How a user puts a new token there, completing "Create a new token and …". */
  readonly remedy: string;
  /** Reads the current value. Throws `SourceError` with a reason the user can act on. */
  read(): Promise<SourceReading>;
}
