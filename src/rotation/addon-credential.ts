import { type ManagedCredential, uniqueClientName } from './credential.js';
import { tokenToReplace } from './outcome.js';
import { ADDON_CREDENTIAL } from './record.js';
import type { RotatorOptions } from './rotator.js';

/** The add-on's own token as a managed credential: its target is the source parameter, and it switches the live connection. */
export function addonCredential(
  o: Pick<RotatorOptions, 'config' | 'tokens' | 'check' | 'connection'>,
  publisher: NonNullable<RotatorOptions['publisher']>,
): ManagedCredential {
  return {
    id: ADDON_CREDENTIAL,
    label: "the add-on's token",
    target: {
      description: publisher.description,
      // A missing source parameter is not "empty" for the add-on: its read throws, recovery waits.
      read: async () => ({ value: (await publisher.read()).value }),
      publish: (value, kmsKeyId) => publisher.publish(value, kmsKeyId),
    },
    policy: {
      lifespanDays: o.config.lifespanDays,
      graceMinutes: o.config.graceMinutes,
      kmsKeyId: o.config.kmsKeyId,
    },
    clientName: (at) => uniqueClientName('HA Token Manager ', at),
    inUse: () => o.tokens.peek()?.refreshTokenId,
    switchTo: async (expected) => {
      const outcome = await o.tokens.refresh({ fresh: true });
      return { switched: o.tokens.peek()?.refreshTokenId === expected, message: outcome.message };
    },
    verify: async (token) => {
      await o.check(token);
      await o.connection.verify(token);
    },
    toReplace: async () => {
      const token = await tokenToReplace(publisher, o.tokens);
      return typeof token === 'string' ? token : { token };
    },
  };
}
