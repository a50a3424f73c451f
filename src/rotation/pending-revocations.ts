import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from '../files.js';

/** A replaced token whose refresh token is to be deleted in HA when the grace period ends. */
export interface PendingRevocation {
  /** The JWT `iss` of the old long-lived token: the id HA deletes it by. */
  refreshTokenId: string;
  /** Masked form, for the page and the log. */
  masked: string;
  dueAt: string;
  reason: string;
  /**
   * Set while a rotation is unfinished: this entry is then the newly minted
   * token, and `replaces` the token it is meant to replace. If SSM holds the
   * new token, the rotation is finished (the old one is queued); otherwise the
   * new one is revoked.
   */
  replaces?: { refreshTokenId: string; masked: string };
  /**
   * Set before the mint request: if its answer is lost (a stop, a dropped
   * socket), the token is found again by this unique name. `refreshTokenId`
   * is then `client:<name>` until the answer arrives.
   */
  clientName?: string;
}

/**
 * Pending revocations, persisted in DATA_DIR so a restart during the grace
 * period still revokes the old token when due. The file holds refresh-token
 * ids (not tokens), but is still mode 0600 and replaced atomically.
 */
export class PendingRevocations {
  readonly #file: string;
  #items: PendingRevocation[] = [];

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'pending-revocations.json');
  }

  get items(): readonly PendingRevocation[] {
    return this.#items;
  }

  /** Reads the file; returns a problem to report when it exists but cannot be used. */
  async load(): Promise<string | undefined> {
    this.#items = [];
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? undefined : `Could not read ${this.#file} (${code}).`;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      this.#items = Array.isArray(parsed) ? parsed.filter(isPending) : [];
      return undefined;
    } catch {
      return `${this.#file} is not valid JSON; pending revocations in it are lost — check the tokens of the managed user in Home Assistant and delete old "HA Token Manager" tokens by hand.`;
    }
  }

  async add(item: PendingRevocation): Promise<void> {
    this.#items = [...this.#items.filter((i) => i.refreshTokenId !== item.refreshTokenId), item];
    await this.#save();
  }

  async remove(refreshTokenId: string): Promise<void> {
    this.#items = this.#items.filter((i) => i.refreshTokenId !== refreshTokenId);
    await this.#save();
  }

  due(now: number): PendingRevocation[] {
    return this.#items.filter((i) => Date.parse(i.dueAt) <= now);
  }

  async #save(): Promise<void> {
    await writePrivateFile(this.#file, () => `${JSON.stringify(this.#items, null, 2)}\n`);
  }
}

function isPending(value: unknown): value is PendingRevocation {
  const v = value as PendingRevocation;
  return (
    typeof v?.refreshTokenId === 'string' &&
    typeof v.dueAt === 'string' &&
    typeof v.masked === 'string'
  );
}
