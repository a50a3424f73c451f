export {
  AccessDeniedError,
  ParameterNotFoundError,
  SsmReadError,
  TokenClientError,
  TokenExpiredError,
  TokenRejectedError,
} from './errors.js';
export type { RequestOptions } from './ha-fetch.js';
export { jwtExpiry } from './jwt.js';
export type { Clock, Logger, TokenClientOptions } from './options.js';
export type { SsmLike } from './ssm-reader.js';
export { TokenClient } from './token-client.js';
