import { join } from 'node:path';
import { readPrivateJson, writePrivateFile } from '../files.js';

// What the add-on remembers of each consumer across restarts, in
// DATA_DIR/consumers.json (0600, replaced atomically): the token it last saw
// in the parameter (id, masked form, fingerprint — never the value), the
// addresses its token was used from, tokens known revoked (so a revoked
// token is not sent to Home Assistant again to find out), and the next
// scheduled rotation. Consumers removed from the options stay here until a
// person revokes their token (docs/rotation.md, "Consumers").

export const CONSUMERS_FILE = 'consumers.json';
/** Addresses kept per consumer: enough for a fleet behind a few NATs; the oldest go first. */
const MAX_ADDRESSES = 50;
const MAX_REVOKED = 20;

export interface Remembered {
  parameter: string;
  refreshTokenId?: string;
  masked?: string;
  fingerprint?: string;
  version?: number;
  /** With a rotation_schedule: its first run after the token was issued or adopted (ISO). */
  scheduledAt?: string;
  /** The rotation_schedule `scheduledAt` was computed from: another one is computed anew. */
  schedule?: string;
  /** Addresses Home Assistant reported this consumer's token used from. */
  addresses: string[];
  /** Refresh-token ids known dead: Home Assistant rejected them, or the add-on revoked them. */
  revoked: string[];
}

export class ConsumerMemory {
  readonly #file: string;
  #entries = new Map<string, Remembered>();

  constructor(dataDir: string) {
    this.#file = join(dataDir, CONSUMERS_FILE);
  }

  /** Reads the file; returns a problem to report when it was damaged (then it starts empty). */
  async load(): Promise<string | undefined> {
    // A damaged file is moved aside by readPrivateJson (so the next save does not overwrite it); the entries still readable are kept.
    const read = await readPrivateJson(this.#file, parse, salvage);
    if (read.kind === 'ok') this.#entries = read.value;
    if (read.kind !== 'damaged') return undefined;
    this.#entries = read.salvaged ?? new Map();
    const kept = this.#entries.size;
    return `${read.problem}. ${kept > 0 ? `The ${kept} consumer entr${kept === 1 ? 'y' : 'ies'} still readable ${kept === 1 ? 'is' : 'are'} kept; for the rest the add-on` : 'The add-on'} forgets which addresses consumers were used from and which consumers were removed from the options; check the add-on's user's tokens in Home Assistant for "HA Token Manager:" entries nobody uses.`;
  }

  get(name: string): Remembered | undefined {
    return this.#entries.get(name);
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  set(name: string, entry: Remembered): void {
    this.#entries.set(name, {
      ...entry,
      addresses: entry.addresses.slice(-MAX_ADDRESSES),
      revoked: entry.revoked.slice(-MAX_REVOKED),
    });
  }

  forget(name: string): void {
    this.#entries.delete(name);
  }

  save(): Promise<void> {
    return writePrivateFile(this.#file, () =>
      JSON.stringify({ version: 1, consumers: Object.fromEntries(this.#entries) }, null, 1),
    );
  }
}

/** The entries of a damaged file that are still whole (a bad entry, a wrong version); none when it is not JSON. */
function salvage(text: string): Map<string, Remembered> | undefined {
  let consumers: unknown;
  try {
    consumers = (JSON.parse(text) as { consumers?: unknown })?.consumers;
  } catch {
    return undefined;
  }
  if (typeof consumers !== 'object' || consumers === null) return undefined;
  const out = new Map<string, Remembered>();
  for (const [name, e] of Object.entries(consumers)) {
    try {
      out.set(name, entry(name, e));
    } catch {}
  }
  return out.size > 0 ? out : undefined;
}

function entry(name: string, e: Remembered): Remembered {
  if (typeof e?.parameter !== 'string') throw new Error(`entry ${name} names no parameter`);
  return {
    ...e,
    addresses: Array.isArray(e.addresses) ? e.addresses.filter((a) => typeof a === 'string') : [],
    revoked: Array.isArray(e.revoked) ? e.revoked.filter((a) => typeof a === 'string') : [],
  };
}

function parse(value: unknown): Map<string, Remembered> {
  const v = value as { version?: unknown; consumers?: Record<string, Remembered> };
  if (v?.version !== 1 || typeof v.consumers !== 'object' || v.consumers === null)
    throw new Error('not a consumers file of this release');
  const out = new Map<string, Remembered>();
  for (const [name, e] of Object.entries(v.consumers)) out.set(name, entry(name, e));
  return out;
}
