import {
  AddTagsToResourceCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersCommand,
  type GetParametersCommandOutput,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { translate } from '../credentials/ssm-errors.js';
import { SourceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CredentialTarget } from '../rotation/credential.js';
import { batches, type Pacer } from './pacer.js';

// The consumers' parameters in SSM: read in batches, written one by one
// through a pacer. The same SSMClient as the token source (src/wiring/credential-work.ts builds one).

/**
 * SSM calls per second the consumers may make. Parameter Store's throughput
 * quota covers GetParameter, GetParameters and PutParameter per account and
 * Region (AWS, "Changing Parameter Store throughput"; the default is 40 TPS
 * for the reads, "AWS Systems Manager endpoints and quotas"), and the add-on
 * is not the account's only caller: reads at most 20 a second, writes 5 —
 * together well under the default, so 50 consumers due at once take about
 * 10 s of writes instead of a throttled burst (docs/rotation.md, "Consumers").
 */
export const READS_PER_SECOND = 20;
export const WRITES_PER_SECOND = 5;

/** The tag a parameter the add-on created carries. */
export const MANAGED_TAG = { Key: 'managed-by', Value: 'ha-token-manager' } as const;

export interface Held {
  value: string;
  version?: number;
  modifiedAt?: Date;
  type?: string;
}

export interface ParameterStoreOptions {
  client: SSMClient;
  region: string;
  log: Logger;
  /** Paces GetParameter(s) and DescribeParameters: a share of the account's 40 TPS. */
  reads: Pacer;
  /** Paces PutParameter and AddTagsToResource: below the account's write quota. */
  writes: Pacer;
  /** Counts each SSM call by operation, for /metrics and the fleet bench. */
  count?: (operation: string) => void;
}

export class ParameterStore {
  readonly #o: ParameterStoreOptions;
  /** Parameters this process tagged or found tagged, so AddTagsToResource runs once each. */
  readonly #tagged = new Set<string>();
  /** The KMS key of parameters the add-on did not create (null: the default key). */
  readonly #keys = new Map<string, string | null>();

  constructor(options: ParameterStoreOptions) {
    this.#o = options;
  }

  /**
   * Reads many parameters, decrypted, 10 names a call (GetParameters' limit).
   * A name SSM does not have is `missing`. Throws (a SourceError naming the
   * first parameter of the failing batch) when SSM does not answer.
   */
  async readAll(names: readonly string[]): Promise<Map<string, Held | 'missing'>> {
    const out = new Map<string, Held | 'missing'>();
    for (const batch of batches(names)) {
      await this.#o.reads.take();
      this.#o.count?.('GetParameters');
      let result: GetParametersCommandOutput;
      try {
        result = await this.#o.client.send(
          new GetParametersCommand({ Names: batch, WithDecryption: true }),
        );
      } catch (error) {
        throw translate(error, batch[0] as string, this.#o.region, 'read-many');
      }
      for (const p of result.Parameters ?? []) {
        if (p.Name === undefined || p.Value === undefined) continue;
        out.set(p.Name, {
          value: p.Value,
          version: p.Version,
          modifiedAt: p.LastModifiedDate,
          type: p.Type,
        });
      }
      for (const name of result.InvalidParameters ?? []) out.set(name, 'missing');
      for (const name of batch) if (!out.has(name)) out.set(name, 'missing');
    }
    return out;
  }

  /** One parameter as a rotation target (the settle worker reads it alone). */
  target(
    parameter: string,
    consumer: string,
    exists?: () => boolean | undefined,
  ): CredentialTarget {
    return {
      description: `SSM parameter ${parameter}`,
      read: () => this.#readOne(parameter),
      publish: (value, kmsKeyId) => this.#publish(parameter, consumer, value, kmsKeyId, exists?.()),
    };
  }

  async #readOne(parameter: string): Promise<{ value: string } | 'missing'> {
    await this.#o.reads.take();
    this.#o.count?.('GetParameter');
    try {
      const result = await this.#o.client.send(
        new GetParameterCommand({ Name: parameter, WithDecryption: true }),
      );
      const value = result.Parameter?.Value;
      if (value === undefined) throw new SourceError(`SSM parameter ${parameter} has no value.`);
      return { value };
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') return 'missing';
      if (error instanceof SourceError) throw error;
      throw translate(error, parameter, this.#o.region);
    }
  }

  /**
   * Creates the parameter (tagged as the add-on's; PutParameter refuses Tags
   * together with Overwrite) or, when it exists, overwrites it keeping its KMS
   * key, then tags it with AddTagsToResource once. Returns the new Version.
   */
  async #publish(
    parameter: string,
    consumer: string,
    value: string,
    kmsKeyId: string | undefined,
    /** Known from the read just before (the rotation's own), so it is not read again. */
    known: boolean | undefined,
  ): Promise<number | undefined> {
    const exists = known ?? (await this.#readOneQuietly(parameter)) !== 'missing';
    const tags = [MANAGED_TAG, { Key: 'ha-token-manager:consumer', Value: consumer }];
    if (!exists) {
      await this.#o.writes.take();
      this.#o.count?.('PutParameter');
      try {
        const result = await this.#o.client.send(
          new PutParameterCommand({
            Name: parameter,
            Value: value,
            Type: 'SecureString',
            KeyId: kmsKeyId,
            Tags: tags,
            Description: `Home Assistant token for ${consumer}, managed by HA Token Manager`,
          }),
        );
        this.#tagged.add(parameter);
        // Its key is known now: the next rotation needs no DescribeParameters.
        this.#keys.set(parameter, kmsKeyId ?? null);
        return result.Version;
      } catch (error) {
        throw translate(error, parameter, this.#o.region, 'write');
      }
    }
    const keyId = kmsKeyId ?? (await this.#keyOf(parameter));
    await this.#o.writes.take();
    this.#o.count?.('PutParameter');
    let version: number | undefined;
    try {
      const result = await this.#o.client.send(
        new PutParameterCommand({
          Name: parameter,
          Value: value,
          Type: 'SecureString',
          Overwrite: true,
          KeyId: keyId,
        }),
      );
      version = result.Version;
    } catch (error) {
      throw translate(error, parameter, this.#o.region, 'write');
    }
    if (!this.#tagged.has(parameter)) {
      this.#tagged.add(parameter);
      await this.#o.writes.take();
      this.#o.count?.('AddTagsToResource');
      try {
        await this.#o.client.send(
          new AddTagsToResourceCommand({
            ResourceType: 'Parameter',
            ResourceId: parameter,
            Tags: tags,
          }),
        );
      } catch (error) {
        // The token is published; a missing tag only makes it harder to find.
        this.#o.log.warning(
          `Could not tag SSM parameter ${parameter} as managed by the add-on (${(error as Error).name}): allow ssm:AddTagsToResource on it.`,
        );
      }
    }
    return version;
  }

  /** Whether the parameter exists, for the publish: unknown counts as existing (no Tags, Overwrite). */
  async #readOneQuietly(parameter: string): Promise<{ value: string } | 'missing' | 'unknown'> {
    try {
      return await this.#readOne(parameter);
    } catch {
      return 'unknown';
    }
  }

  /** The KMS key the parameter uses: PutParameter would otherwise switch it to aws/ssm. */
  async #keyOf(parameter: string): Promise<string | undefined> {
    const known = this.#keys.get(parameter);
    if (known !== undefined) return known ?? undefined;
    await this.#o.reads.take();
    this.#o.count?.('DescribeParameters');
    try {
      const result = await this.#o.client.send(
        new DescribeParametersCommand({
          ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [parameter] }],
        }),
      );
      const key = result.Parameters?.[0]?.KeyId ?? null;
      this.#keys.set(parameter, key);
      return key ?? undefined;
    } catch (error) {
      throw translate(error, parameter, this.#o.region, 'describe');
    }
  }
}
