import { currentUserId, listRefreshTokens } from '../ha/auth-commands.js';
import { messageOf } from '../log.js';
import { Token } from '../tokens/token.js';
import type { ManagedCredential } from './credential.js';
import { heldElsewhere } from './holders.js';
import type { RotationRecord } from './record.js';
import type { World } from './recovery.js';
import type { SettlerOptions } from './settler.js';

// The settle worker's reads of the world: what each credential's target holds
// and Home Assistant's list of the user's tokens, for recover().

/** What recover() needs, read once per pass and again after a step that changes it. */
export class WorldReader {
  readonly #o: Pick<SettlerOptions, 'clock' | 'connection' | 'holders'>;
  /** What each credential's target holds, read once per pass. */
  readonly #ssm = new Map<string, World['ssm']>();
  #ha: World['ha'] | undefined;
  /** Why SSM or Home Assistant did not answer, for `waitingFor` (e.g. the IAM action AccessDenied names). */
  readonly #errors = new Map<'SSM' | 'Home Assistant', string>();
  #haUser: string | undefined;

  constructor(options: Pick<SettlerOptions, 'clock' | 'connection' | 'holders'>) {
    this.#o = options;
  }

  lastErrors(): string {
    return [...this.#errors].map(([who, e]) => ` Last error from ${who}: ${e}`).join('');
  }

  forget(): void {
    this.#ha = undefined;
  }

  async read(record: RotationRecord, credential: ManagedCredential): Promise<World> {
    // Whether a mint happened is HA's to say: SSM is not asked (reads cost money and quota).
    if (record.state.kind !== 'minting' && !this.#ssm.has(credential.id))
      this.#ssm.set(
        credential.id,
        await readTarget(credential, (error) => this.#errors.set('SSM', messageOf(error))),
      );
    this.#ha ??= await this.#readHa();
    const ssm = this.#ssm.get(credential.id) ?? 'unknown';
    return {
      haUser: this.#haUser,
      now: this.#o.clock.now(),
      ssm,
      ha: this.#ha,
      inUse: credential.inUse(ssm === 'unknown' ? undefined : ssm.refreshTokenId),
      heldElsewhere: heldElsewhere(this.#o.holders?.() ?? [], credential.id),
      graceMinutes: credential.policy.graceMinutes,
    };
  }

  async #readHa(): Promise<World['ha']> {
    const conn = this.#o.connection.connection;
    if (!conn) return 'unknown';
    try {
      this.#haUser = await currentUserId(conn); // whose list it is (docs/rotation.md)
      return (await listRefreshTokens(conn)).map((t) => ({ id: t.id, clientName: t.client_name }));
    } catch (error) {
      this.#errors.set('Home Assistant', messageOf(error));
      return 'unknown';
    }
  }
}

/** What a credential's target holds, as recover() sees it; a missing parameter holds no token. */
async function readTarget(
  credential: ManagedCredential,
  failed: (error: unknown) => void,
): Promise<World['ssm']> {
  let held: { value: string } | 'missing';
  try {
    held = await credential.target.read();
  } catch (error) {
    failed(error);
    return 'unknown';
  }
  if (held === 'missing') return { refreshTokenId: undefined };
  try {
    return { refreshTokenId: Token.parse(held.value, 'the parameter').refreshTokenId };
  } catch {
    return { refreshTokenId: undefined }; // not a token: certainly none of ours
  }
}
