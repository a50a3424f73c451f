import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from '../files.js';
import type { Token } from './token.js';

/**
 * The tokens Home Assistant rejected, as SHA-256 hashes (never the values),
 * kept in DATA_DIR so that a restart does not send a rejected token again:
 * each send is a failed login in HA (DESIGN.md C3). Without a file, memory only.
 */
export class KnownBadTokens {
  readonly #file: string | undefined;
  readonly #hashes: Set<string>;

  private constructor(file: string | undefined, hashes: Iterable<string>) {
    this.#file = file;
    this.#hashes = new Set(hashes);
  }

  static inMemory(): KnownBadTokens {
    return new KnownBadTokens(undefined, []);
  }

  /** Opens the store in `dataDir`; an unreadable file starts it empty (it is a safeguard, not state). */
  static async open(dataDir: string): Promise<KnownBadTokens> {
    const file = join(dataDir, 'rejected-tokens.json');
    try {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      const hashes = Array.isArray(parsed)
        ? parsed.filter((h): h is string => typeof h === 'string')
        : [];
      return new KnownBadTokens(file, hashes);
    } catch {
      return new KnownBadTokens(file, []);
    }
  }

  has(token: Token): boolean {
    return this.#hashes.has(hashOf(token));
  }

  /** Adds the token; resolves when it is on disk. */
  async add(token: Token): Promise<void> {
    this.#hashes.add(hashOf(token));
    if (this.#file) await writePrivateFile(this.#file, `${JSON.stringify([...this.#hashes])}\n`);
  }
}

export function hashOf(token: Token): string {
  return createHash('sha256').update(token.reveal()).digest('hex');
}
