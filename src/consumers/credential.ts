import { SourceError } from '../errors.js';
import type { TokenCheck } from '../ha/rest.js';
import { describeError } from '../log.js';
import type { ConsumerConfig } from '../options.js';
import { type ManagedCredential, uniqueClientName } from '../rotation/credential.js';
import { consumerCredential } from '../rotation/record.js';
import { Token } from '../tokens/token.js';
import { clientNamePrefix } from './inspect.js';
import type { ParameterStore } from './parameters.js';

// A consumer's token as a managed credential (docs/rotation.md,
// "Credentials"): its parameter is the target, it has no live connection to
// switch, and what it "uses" is what its parameter holds.

export interface ConsumerCredentialInput {
  consumer: ConsumerConfig;
  store: ParameterStore;
  /** GET /api/ with the new token. */
  check: TokenCheck;
  kmsKeyId?: string;
  /** A refresh-token id known revoked or rejected: nothing to revoke. */
  isDead: (refreshTokenId: string) => boolean;
  /** Another user's token that Home Assistant accepted: never revoked by the add-on. */
  isForeign: (fingerprint: string) => boolean;
}

export function consumerAsCredential(i: ConsumerCredentialInput): ManagedCredential {
  const { consumer } = i;
  // Whether the parameter exists, as the rotation's own read found it: the publish creates or overwrites.
  let exists: boolean | undefined;
  const target = i.store.target(consumer.parameter, consumer.name, () => exists);
  return {
    id: consumerCredential(consumer.name),
    label: `consumer ${consumer.name}`,
    targetName: consumer.parameter,
    target,
    policy: {
      lifespanDays: consumer.lifespanDays,
      graceMinutes: consumer.graceMinutes,
      kmsKeyId: i.kmsKeyId,
    },
    clientName: (at) => uniqueClientName(clientNamePrefix(consumer.name), at),
    // The consumer sends whatever its parameter holds.
    inUse: (held) => held,
    verify: (token) => i.check(token),
    // Read now, not from the last refresh: the token replaced is the one revoked after the grace period.
    toReplace: async () => {
      let held: { value: string } | 'missing';
      try {
        held = await target.read();
      } catch (error) {
        // Translated words only (ssm-errors.ts): AWS's text names the account and IAM user.
        return `Cannot rotate: ${error instanceof SourceError ? error.message : describeError(error)}`;
      }
      exists = held !== 'missing';
      if (held === 'missing') return { token: undefined };
      let token: Token;
      try {
        token = Token.parse(held.value, target.description);
      } catch {
        return { token: undefined }; // not a token: nothing to revoke
      }
      if (token.refreshTokenId !== undefined && i.isDead(token.refreshTokenId))
        return { token: undefined };
      return { token, foreign: i.isForeign(token.fingerprint) };
    },
  };
}
