import {
  DescribeParametersCommand,
  GetParameterCommand,
  type GetParameterCommandOutput,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { SourceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CredentialSource, SourceReading } from './source.js';
import { translate } from './ssm-errors.js';

export interface SsmSourceOptions {
  /** Built in src/wiring/credential-work.ts from the options (region, keys, endpoint): injected, never created here. */
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

  /**
   * Writes a new token (rotation): a SecureString, overwriting, encrypted with
   * `kmsKeyId` or else the key the parameter already uses. Returns the new Version.
   */
  async publish(value: string, kmsKeyId?: string): Promise<number> {
    const keyId = kmsKeyId ?? (await this.#currentKeyId());
    try {
      const result = await this.#o.client.send(
        new PutParameterCommand({
          Name: this.#name(),
          Value: value,
          Type: 'SecureString',
          Overwrite: true,
          KeyId: keyId,
        }),
      );
      if (result.Version === undefined)
        throw new SourceError(`SSM did not report a version for ${this.#o.parameter}.`);
      return result.Version;
    } catch (error) {
      if (error instanceof SourceError) throw error;
      throw translate(error, this.#o.parameter, this.#o.region, 'write');
    }
  }

  /** PutParameter would otherwise switch the parameter to the default aws/ssm key. */
  async #currentKeyId(): Promise<string | undefined> {
    try {
      const result = await this.#o.client.send(
        new DescribeParametersCommand({
          ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [this.#name()] }],
        }),
      );
      return result.Parameters?.[0]?.KeyId;
    } catch (error) {
      throw translate(error, this.#o.parameter, this.#o.region, 'describe');
    }
  }

  /** The parameter's name: PutParameter and DescribeParameters take names, not ARNs. */
  #name(): string {
    const arn = /^arn:aws[a-z-]*:ssm:[^:]+:\d+:parameter(\/.+)$/.exec(this.#o.parameter);
    return arn?.[1] ?? this.#o.parameter;
  }
}
