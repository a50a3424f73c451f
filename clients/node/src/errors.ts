// Every error names the parameter and what to change; none carries a token.
// SDK errors are translated where they enter (ssm-reader.ts) and kept as `cause`.

export class TokenClientError extends Error {
  override name = 'TokenClientError';
  readonly parameter: string;

  constructor(message: string, parameter: string, options?: { cause?: unknown }) {
    super(message, options);
    this.parameter = parameter;
  }
}

/** The parameter does not exist (wrong name or region, or the add-on has not published yet). */
export class ParameterNotFoundError extends TokenClientError {
  override name = 'ParameterNotFoundError';
}

/** The consumer's AWS identity may not read or decrypt the parameter. */
export class AccessDeniedError extends TokenClientError {
  override name = 'AccessDeniedError';
}

/** SSM could not be read for another reason (network, throttling, credentials). */
export class SsmReadError extends TokenClientError {
  override name = 'SsmReadError';
}

/** SSM still holds a token Home Assistant has rejected: the replacement is not published yet. */
export class TokenRejectedError extends TokenClientError {
  override name = 'TokenRejectedError';
}

/** SSM holds a token whose own `exp` has passed. */
export class TokenExpiredError extends TokenClientError {
  override name = 'TokenExpiredError';
}
