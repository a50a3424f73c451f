import type { Clock } from '../clock.js';
import { failpoint } from '../failpoints.js';
import { currentUserId, mintLongLivedToken } from '../ha/auth-commands.js';
import type { HaConnection } from '../ha/connection.js';
import { messageOf } from '../log.js';
import type { JobOutcome } from '../schedule/job.js';
import type { StatusModel } from '../status/status-model.js';
import { Token } from '../tokens/token.js';
import type { ManagedCredential } from './credential.js';
import type { RotationJournal } from './journal.js';
import { mintFailure, outcomeUnknown, rotationOutcome } from './outcome.js';
import {
  ADDON_CREDENTIAL,
  isUnsettled,
  type RotationRecord,
  type TokenRef,
  WATCH_MINUTES,
} from './record.js';
import type { Settler } from './settler.js';

// The steps of one rotation, each recorded in the journal before it runs:
// mint over the live connection, verify on REST and WebSocket, publish to the
// target; then the settle pass says where it ended (docs/rotation.md).

/** What the steps use of the rotator. */
export interface RotationSteps {
  connection: HaConnection;
  clock: Clock;
  status: StatusModel;
  journal: RotationJournal;
  settler: Settler;
  /** Shows the step on the page and in the debug log. */
  setStep(step: string): void;
  /** The journal changed: the page's rotation info is recomputed. */
  report(): void;
}

/** Rotates `credential` once; the caller holds the settler's lock. */
export async function rotateCredential(
  c: RotationSteps,
  credential: ManagedCredential,
): Promise<JobOutcome> {
  const { connection, clock, status, journal, settler } = c;
  const { policy, target } = credential;

  // An earlier rotation first: settled now if it can be, else it blocks this one.
  await settler.pass();
  const open = journal.records.find((r) => r.credential === credential.id && isUnsettled(r));
  if (open) {
    const why = settler.waiting.get(open.clientName) ?? open.note ?? '';
    return {
      ok: false,
      message: `An earlier rotation ("${open.clientName}", ${open.state.kind}) is not settled yet: ${why} The add-on keeps trying every few seconds; rotate again once it is settled.`,
    };
  }
  const conn = connection.connection;
  if (!conn) {
    return {
      ok: false,
      message:
        'Not connected to Home Assistant: rotation mints the new token over the live connection.',
    };
  }
  const replacing = await credential.toReplace();
  if (typeof replacing === 'string') return { ok: false, message: replacing };

  c.setStep('mint');
  const clientName = credential.clientName(new Date(clock.now()));
  const now = new Date(clock.now()).toISOString();
  // HA's token list is this user's only: a later look as someone else proves nothing.
  const haUser = await currentUserId(conn).catch(() => undefined);
  let record: RotationRecord = await journal.put({
    credential: credential.id,
    target: credential.targetName,
    clientName,
    haUser,
    startedAt: now,
    updatedAt: now,
    replaced: replacing.token
      ? { ...ref(replacing.token), ...(replacing.foreign ? { foreign: true } : {}) }
      : undefined,
    state: { kind: 'minting' },
  });
  c.report();
  let minted: Token;
  try {
    failpoint('rotation.mint.before');
    const value = await mintLongLivedToken(conn, clientName, policy.lifespanDays);
    failpoint('rotation.mint.after');
    minted = Token.parse(value, 'the newly minted token');
    if (!minted.refreshTokenId) throw new Error('the new token has no refresh-token id');
  } catch (error) {
    // Minted or not, Home Assistant's token list says (by the unique name).
    if (outcomeUnknown(error)) record = await watch(c, record);
    return settled(c, clientName, mintFailure(error));
  }
  record = await journal.put({ ...record, minted: ref(minted), state: { kind: 'minted' } });
  const who = credential.id === ADDON_CREDENTIAL ? '' : ` for ${credential.label}`;
  status.event(
    'info',
    'rotation',
    `Minted token ${minted.masked}${who} (lifespan ${policy.lifespanDays} days)`,
  );
  c.report();

  let version: number | undefined;
  try {
    c.setStep('verify');
    await credential.verify(minted);
  } catch (error) {
    return settled(c, clientName, `Verification failed: ${messageOf(error)}`);
  }
  let publishError: unknown;
  try {
    c.setStep('publish');
    failpoint('rotation.publish.before');
    version = await target.publish(minted.reveal(), policy.kmsKeyId);
    failpoint('rotation.publish.after');
  } catch (error) {
    publishError = error;
  }
  if (publishError === undefined) {
    record = await journal.put({
      ...record,
      state: { kind: 'published', version, publishedAt: new Date(clock.now()).toISOString() },
    });
    status.event(
      'info',
      'rotation',
      `Published token ${minted.masked}${version === undefined ? '' : ` as version ${version}`} to ${target.description}`,
    );
  }
  if (outcomeUnknown(publishError)) record = await watch(c, record);
  // Whether the publish landed (its answer may be lost), SSM now says.
  c.setStep('settle');
  return settled(
    c,
    clientName,
    publishError === undefined ? undefined : messageOf(publishError),
    minted,
    version,
  );
}

/** Runs the settle pass for this rotation and says where it ended. */
async function settled(
  c: RotationSteps,
  clientName: string,
  failure: string | undefined,
  minted?: Token,
  version?: number,
): Promise<JobOutcome> {
  await c.settler.pass(clientName, true);
  return rotationOutcome({
    record: c.journal.records.find((r) => r.clientName === clientName),
    waiting: c.settler.waiting.get(clientName),
    failure,
    minted,
    version,
  });
}

/** The side effect lost its answer: "not there" proves nothing for a while. */
function watch(c: RotationSteps, record: RotationRecord): Promise<RotationRecord> {
  const until = new Date(c.clock.now() + WATCH_MINUTES * 60_000).toISOString();
  return c.journal.put({ ...record, watchUntil: until });
}

function ref(token: Token): TokenRef {
  return {
    refreshTokenId: token.refreshTokenId ?? '',
    masked: token.masked,
    fingerprint: token.fingerprint,
  };
}
