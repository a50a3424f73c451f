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
export type { SsmLike } from './ssm-reader.js';
export { type Clock, TokenClient, type TokenClientOptions } from './token-client.js';
