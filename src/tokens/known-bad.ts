import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readPrivateJson, writePrivateFile } from '../files.js';
import type { Token } from './token.js';

const FILE = 'rejected-tokens.json';
const HASH = /^[0-9a-f]{64}$/;

function parseHashes(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((h) => typeof h === 'string' && HASH.test(h))) {
    throw new Error('not a list of SHA-256 hashes');
  }
  return value as string[];
}

/** Every complete hash in a damaged file (e.g. all but the last of a truncated list). */
function salvageHashes(text: string): string[] {
  return [...text.matchAll(/"([0-9a-f]{64})"/g)].map((m) => m[1] as string);
}

/**
 * The tokens Home Assistant rejected, as SHA-256 hashes (never the values),
 * kept in DATA_DIR so that a restart does not send a rejected token again:
 * each send is a failed login in HA (docs/architecture.md). A rejection only counts
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

  /**
   * Opens the store in `dataDir`. A damaged file is reported through
   * `onDamage` (a lost entry means a rejected token is sent again: one more
   * failed login), kept beside as a copy, and every complete hash that can
   * still be read from it is kept and written back at once.
   */
  static async open(
    dataDir: string,
    scope: string,
    onDamage: (problem: string) => void = () => undefined,
  ): Promise<KnownBadTokens> {
    const file = join(dataDir, FILE);
    const read = await readPrivateJson(file, parseHashes, salvageHashes);
    if (read.kind === 'ok') return new KnownBadTokens(file, scope, read.value);
    if (read.kind === 'missing') return new KnownBadTokens(file, scope, []);
    const salvaged = read.salvaged ?? [];
    onDamage(
      `${read.problem}. ${salvaged.length} rejected token${salvaged.length === 1 ? ' was' : 's were'} recovered from it; a rejected token that was not may be sent to Home Assistant once more.`,
    );
    const store = new KnownBadTokens(file, scope, salvaged);
    if (read.keptAs) await store.#write().catch(() => undefined); // next add() retries
    return store;
  }

  has(token: Token): boolean {
    return this.#hashes.has(this.#hash(token));
  }

  /** Adds the token; resolves when it is on disk. */
  async add(token: Token): Promise<void> {
    this.#hashes.add(this.#hash(token));
    await this.#write();
  }

  async #write(): Promise<void> {
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
