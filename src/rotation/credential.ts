import { randomBytes } from 'node:crypto';
import type { Token } from '../tokens/token.js';

// The one credential model (docs/rotation.md, "Credentials"): the add-on's own
// token and every consumer token are a ManagedCredential — a target that holds
// the token, a rotation policy, and records in the one journal keyed by `id`.
// The rotator, the settle worker and recover() know nothing else about them,
// so a consumer goes through exactly the same crash-safe path as the add-on.

/** Where a credential's token is published and read back. */
export interface CredentialTarget {
  /** "SSM parameter /home-assistant/consumers/alexa-skill", for messages. */
  readonly description: string;
  /**
   * What the target holds now: its value, or `missing` when the parameter
   * does not exist. Throws when that is not known (SSM did not answer).
   */
  read(): Promise<{ value: string } | 'missing'>;
  /** Writes a new token; returns the new version when the target has one. */
  publish(value: string, kmsKeyId?: string): Promise<number | undefined>;
}

export interface RotationPolicy {
  readonly lifespanDays: number;
  readonly graceMinutes: number;
  readonly kmsKeyId?: string;
}

/** What a rotation replaces: the token in the target, or nothing (a first issue). */
export interface Replacing {
  token: Token | undefined;
  /** Not one of the add-on's user's tokens: never revoked by the add-on (it cannot). */
  foreign?: boolean;
}

export interface ManagedCredential {
  /** The journal key: `addon`, or `consumer:<name>`. */
  readonly id: string;
  /** "the add-on's token", "consumer alexa-skill", for messages. */
  readonly label: string;
  /** Stored in the journal, so a record can be settled after its credential left the options. */
  readonly targetName?: string;
  readonly target: CredentialTarget;
  readonly policy: RotationPolicy;
  /** The unique client_name of a token minted now (Home Assistant refuses a name twice per user). */
  clientName(at: Date): string;
  /**
   * The refresh-token id of the token this credential's user sends now. The
   * add-on: the token its connection uses. A consumer: what the target
   * holds (it reads the parameter), given as `held`.
   */
  inUse(held: string | undefined): string | undefined;
  /** The add-on only: make its live connection use what the target holds (`expected`). */
  switchTo?(expected: string | undefined): Promise<{ switched: boolean; message: string }>;
  /** Proves a newly minted token before it is published. */
  verify(token: Token): Promise<void>;
  /** The token to replace, or why a rotation cannot start. */
  toReplace(): Promise<Replacing | string>;
}

/** Finds the credential a journal record belongs to (also one no longer configured). */
export type CredentialLookup = (
  id: string,
  targetName: string | undefined,
) => ManagedCredential | undefined;

/**
 * A client_name that no other rotation will ever use: Home Assistant refuses a
 * duplicate per user, and recovery finds a lost mint by this exact name, so two
 * add-ons (or two rotations in one millisecond) must never share one.
 */
export function uniqueClientName(prefix: string, at: Date): string {
  return `${prefix}${at.toISOString()} ${randomBytes(3).toString('hex')}`;
}
