import {
  GetParameterCommand,
  type GetParameterCommandOutput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { SourceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CredentialSource, SourceReading } from './source.js';

export interface SsmSourceOptions {
  /** Built in main.ts from the options (region, keys, endpoint): injected, never created here. */
  client: SSMClient;
  /** Name or ARN, as configured. */
  parameter: string;
  region: string;
  log: Logger;
}

/**
 * A token in an SSM `SecureString` parameter, decrypted on read
 * (GetParameter, WithDecryption). SDK errors become SourceErrors that name
 * the parameter and the IAM action or KMS key that is missing.
 */
export class SsmSource implements CredentialSource {
  readonly kind = 'ssm';
  readonly description: string;
  readonly remedy: string;
  readonly #o: SsmSourceOptions;
  #warnedPlain = false;

  constructor(options: SsmSourceOptions) {
    this.#o = options;
    this.description = `SSM parameter ${options.parameter}`;
    this.remedy = `store it in SSM parameter ${options.parameter} (aws ssm put-parameter --type SecureString --overwrite)`;
  }

  async read(): Promise<SourceReading> {
    let result: GetParameterCommandOutput;
    try {
      result = await this.#o.client.send(
        new GetParameterCommand({ Name: this.#o.parameter, WithDecryption: true }),
      );
    } catch (error) {
      throw translate(error, this.#o.parameter, this.#o.region);
    }
    const parameter = result.Parameter;
    if (parameter?.Value === undefined) {
      throw new SourceError(`SSM parameter ${this.#o.parameter} has no value.`);
    }
    if (parameter.Type !== 'SecureString' && !this.#warnedPlain) {
      this.#warnedPlain = true;
      this.#o.log.warning(
        `SSM parameter ${this.#o.parameter} is a ${parameter.Type ?? 'plain'} parameter, not a SecureString: ` +
          'anyone allowed ssm:GetParameter reads the token unencrypted. Store it as a SecureString.',
      );
    }
    return {
      value: parameter.Value,
      version: parameter.Version,
      modifiedAt: parameter.LastModifiedDate,
    };
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);

/** Maps an SDK error (by `name`, as the SDK v3 models them) to a reason the user can act on. */
export function translate(error: unknown, parameter: string, region: string): SourceError {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { attempts?: number };
  };
  const name = e.name ?? '';
  const message = e.message ?? '';
  const arn = parameter.startsWith('arn:')
    ? parameter
    : `arn:aws:ssm:${region}:<account-id>:parameter${parameter.startsWith('/') ? '' : '/'}${parameter}`;
  const kmsKey =
    /kms:Decrypt on resource:? (arn:aws[^\s]*:kms:[^\s]+)/i.exec(message)?.[1] ??
    /(arn:aws[^\s]*:kms:[^\s]+)/.exec(message)?.[1];
  const attempts = e.$metadata?.attempts;
  const fail = (text: string, transient = false) =>
    new SourceError(text, { cause: error, transient });

  if (name === 'ParameterNotFound') {
    return fail(
      `SSM parameter ${parameter} was not found in ${region}. Create it (aws ssm put-parameter --name ${parameter} --type SecureString --value <token>) or correct ssm_parameter and aws_region.`,
    );
  }
  if (
    name.startsWith('KMS') ||
    name === 'InvalidKeyId' ||
    (name === 'AccessDeniedException' && /kms:/i.test(message))
  ) {
    return fail(
      `SSM parameter ${parameter} could not be decrypted (${name}). Allow kms:Decrypt on ${kmsKey ?? "the parameter's KMS key"} for the add-on's AWS identity, and check that the key is enabled.`,
    );
  }
  if (name === 'AccessDeniedException') {
    const resource = /on resource:? (arn:[^\s]+)/i.exec(message)?.[1] ?? arn;
    return fail(
      `Access denied reading SSM parameter ${parameter}. Allow ssm:GetParameter on ${resource} for the add-on's AWS identity.`,
    );
  }
  if (
    [
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'ExpiredTokenException',
      'InvalidClientTokenId',
    ].includes(name)
  ) {
    return fail(
      `AWS rejected the credentials used to read SSM parameter ${parameter} (${name}). Check aws_access_key_id and aws_secret_access_key, or the credentials of the standard AWS chain.`,
    );
  }
  if (name === 'CredentialsProviderError') {
    return fail(
      `No AWS credentials were found to read SSM parameter ${parameter}. Set aws_access_key_id and aws_secret_access_key, or provide credentials through the standard AWS chain.`,
    );
  }
  if (
    name === 'ThrottlingException' ||
    name === 'TooManyUpdates' ||
    name === 'ThrottledException'
  ) {
    return fail(
      `SSM throttled reads of ${parameter}${attempts ? ` (after ${attempts} attempts)` : ''}; the GetParameter quota is shared by the account and region. Retrying at the next refresh.`,
      true,
    );
  }
  if (
    name === 'TimeoutError' ||
    NETWORK_CODES.has(e.code ?? '') ||
    NETWORK_CODES.has(name) ||
    /ECONNREFUSED|ETIMEDOUT|socket hang up/i.test(message)
  ) {
    return fail(
      `SSM could not be reached to read ${parameter} (${e.code ?? name ?? 'network error'}). Check the network, aws_region and ssm_endpoint. Retrying at the next refresh.`,
      true,
    );
  }
  if (name === 'InternalServerError' || (e as { $fault?: string }).$fault === 'server') {
    return fail(
      `SSM failed reading ${parameter} (${name || 'server error'}). Retrying at the next refresh.`,
      true,
    );
  }
  return fail(`Could not read SSM parameter ${parameter} (${name || 'unknown error'}).`, true);
}
