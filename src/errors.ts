// The named errors of the program. Each says what is wrong and what to do in
// its message (shown to the user as a status reason), and keeps its cause.

export class TokenManagerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A token failed the shape check; it was never sent anywhere. */
export class MalformedTokenError extends TokenManagerError {}

/** Home Assistant answered that the token is not valid (REST 401, WebSocket auth_invalid). */
export class TokenRejectedError extends TokenManagerError {}

/** The credential source could not produce a token (missing, denied, unreachable). */
export class SourceError extends TokenManagerError {
  /** True when retrying later may help (network, throttling); false for a setup problem. */
  readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown; transient?: boolean }) {
    super(message, options);
    this.transient = options?.transient ?? false;
  }
}

/** Home Assistant could not be reached, or answered with something other than yes or no. */
export class HaUnavailableError extends TokenManagerError {}
