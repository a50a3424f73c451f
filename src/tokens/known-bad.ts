import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from '../files.js';
import type { Token } from './token.js';

/**
 * The tokens Home Assistant rejected, as SHA-256 hashes (never the values),
 * kept in DATA_DIR so that a restart does not send a rejected token again:
 * each send is a failed login in HA (DESIGN.md C3). A rejection only counts
 * for the Home Assistant that made it: the hash includes its URL, so fixing
 * a wrong `home_assistant_url` gives every token a fresh chance.
 */
export class KnownBadTokens {
  readonly #file: string | undefined;
  readonly #scope: string;
  readonly #hashes: Set<string>;

  private constructor(file: string | undefined, scope: string, hashes: Iterable<string>) {
    this.#file = file;
    this.#scope = scope;
    this.#hashes = new Set(hashes);
  }

  static inMemory(scope = ''): KnownBadTokens {
    return new KnownBadTokens(undefined, scope, []);
  }

  /** Opens the store in `dataDir`; an unreadable file starts it empty (it is a safeguard, not state). */
  static async open(dataDir: string, scope: string): Promise<KnownBadTokens> {
    const file = join(dataDir, 'rejected-tokens.json');
    try {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      const hashes = Array.isArray(parsed)
        ? parsed.filter((h): h is string => typeof h === 'string')
        : [];
      return new KnownBadTokens(file, scope, hashes);
    } catch {
      return new KnownBadTokens(file, scope, []);
    }
  }

  has(token: Token): boolean {
    return this.#hashes.has(this.#hash(token));
  }

  /** Adds the token; resolves when it is on disk. */
  async add(token: Token): Promise<void> {
    this.#hashes.add(this.#hash(token));
    if (this.#file)
      await writePrivateFile(this.#file, () => `${JSON.stringify([...this.#hashes])}\n`);
  }

  #hash(token: Token): string {
    return createHash('sha256').update(`${this.#scope}\n${token.reveal()}`).digest('hex');
  }
}

/** A token's SHA-256, for telling tokens apart in memory without keeping them. */
export function hashOf(token: Token): string {
  return createHash('sha256').update(token.reveal()).digest('hex');
}
