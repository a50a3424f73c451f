import { copyFile, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { writePrivateFile } from '../files.js';
import { type RotationRecord, type StateKind, TERMINAL } from './record.js';

// The rotation journal, persisted in DATA_DIR: one JSON line per rotation
// record (so a damaged line loses that record only), replaced atomically and
// readable by the owner only. Every change is on disk before the caller goes on
// to the side effect it prepares (docs/rotation.md).

const FILE = 'rotation-journal.jsonl';
/** The previous release's file: its entries become `revoking` (or unfinished) records once. */
const LEGACY = 'pending-revocations.json';

const KINDS: readonly StateKind[] = ['minting', 'minted', 'published', 'revoking', ...TERMINAL];

/** A record could not be written: the step it prepares must not happen. */
export class JournalWriteError extends Error {
  readonly record: RotationRecord;
  constructor(file: string, record: RotationRecord, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    super(`Could not write the rotation journal ${file}${code ? ` (${code})` : ''}`, { cause });
    this.name = 'JournalWriteError';
    this.record = record;
  }
}

/**
 * The journal could not be read (or a damaged one could not be copied aside):
 * writing it would replace records nobody has seen, so nothing is written and
 * no rotation starts until it is fixed.
 */
export class JournalUnreadableError extends Error {
  constructor(reason: string) {
    super(
      `Rotation is stopped: ${reason}. Writing the journal would lose the records in it; fix the file (owner, mode, disk) and restart the add-on.`,
    );
    this.name = 'JournalUnreadableError';
  }
}

export class RotationJournal {
  readonly #file: string;
  readonly #dir: string;
  readonly #clock: Clock;
  #records: RotationRecord[] = [];
  /** Why the file on disk must not be replaced, when it must not. */
  #unreadable: string | undefined;

  constructor(dataDir: string, clock: Clock) {
    this.#dir = dataDir;
    this.#file = join(dataDir, FILE);
    this.#clock = clock;
  }

  get file(): string {
    return this.#file;
  }

  get records(): readonly RotationRecord[] {
    return this.#records;
  }

  /**
   * Reads the journal (migrating the previous release's file once). Returns
   * the problems to report: a damaged file is kept beside it as
   * `<file>.damaged-<time>`, and every line that still parses is used.
   */
  async load(): Promise<string[]> {
    const problems: string[] = [];
    let text: string | undefined;
    this.#unreadable = undefined;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        this.#unreadable = `the rotation journal ${this.#file} could not be read (${code})`;
        problems.push(new JournalUnreadableError(this.#unreadable).message);
      }
    }
    this.#records = [];
    if (text !== undefined) {
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const bad: number[] = [];
      lines.forEach((line, i) => {
        const record = parseRecord(line);
        if (record) this.#records.push(record);
        else bad.push(i + 1);
      });
      if (bad.length > 0) {
        const copy = `${this.#file}.damaged-${new Date(this.#clock.now()).toISOString().replace(/[:.]/g, '-')}`;
        const kept = await copyFile(this.#file, copy).then(
          () => true,
          () => false,
        );
        if (!kept) {
          // Without the copy, the next write would lose the unreadable lines for good.
          this.#unreadable = `the rotation journal ${this.#file} is damaged and no copy of it could be kept`;
          problems.push(new JournalUnreadableError(this.#unreadable).message);
        } else
          problems.push(
            `${this.#file} is damaged (line ${bad.join(', ')} unreadable; a copy is kept as ${copy}). ` +
              `Kept the ${this.#records.length} record(s) that could be read; a rotation in the lost lines may have left a token behind: check the managed user's tokens in Home Assistant for old "HA Token Manager" entries.`,
          );
      }
    }
    if (!this.#unreadable) {
      try {
        problems.push(...(await this.#migrate()));
      } catch (error) {
        // Not fatal: the migrated records are settled from memory, and the old file
        // is kept, so the next start migrates it again (same names, no duplicates).
        const code = (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message;
        problems.push(
          `Could not finish migrating ${join(this.#dir, LEGACY)} into ${this.#file} (${code}); the old file is kept and migrated again at the next start.`,
        );
      }
    }
    return problems;
  }

  /**
   * Adds or replaces (by client_name) a record once it is on disk: what is
   * in memory is never ahead of the file. Callers hold the journal to
   * themselves (Settler.exclusive), so writes do not interleave.
   */
  async put(record: RotationRecord): Promise<RotationRecord> {
    const stamped = { ...record, updatedAt: new Date(this.#clock.now()).toISOString() };
    if (this.#unreadable) throw new JournalUnreadableError(this.#unreadable);
    const others = this.#records.filter((r) => r.clientName !== record.clientName);
    const next = prune([...others, stamped]);
    try {
      await this.#save(next);
    } catch (error) {
      throw new JournalWriteError(this.#file, stamped, error);
    }
    this.#records = next;
    return stamped;
  }

  async #save(records: readonly RotationRecord[]): Promise<void> {
    await writePrivateFile(this.#file, () => records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  /** The previous release's pending revocations become records; the old file is renamed after. */
  async #migrate(): Promise<string[]> {
    const legacy = join(this.#dir, LEGACY);
    let text: string;
    try {
      text = await readFile(legacy, 'utf8');
    } catch {
      return [];
    }
    let items: unknown;
    try {
      items = JSON.parse(text);
    } catch {
      items = undefined;
    }
    const migrated = Array.isArray(items) ? items.flatMap((i) => fromLegacy(i)) : [];
    const problems = Array.isArray(items)
      ? []
      : [
          `${legacy} (from the previous release) is damaged; it is kept as ${legacy}.damaged. Check the managed user's tokens in Home Assistant for old "HA Token Manager" entries.`,
        ];
    for (const record of migrated) {
      if (!this.#records.some((r) => r.clientName === record.clientName))
        this.#records.push(record);
    }
    // Written before the old file goes: a crash in between migrates again (same names, no duplicates).
    await this.#save(this.#records);
    await rename(legacy, Array.isArray(items) ? `${legacy}.migrated` : `${legacy}.damaged`);
    return problems;
  }
}

/**
 * Keeps every unfinished record and, per credential, the newest successful
 * (`done`) and the newest failed (`rolled-back`, `abandoned`) finished one: a
 * failure must not vanish when an earlier rotation settles after it, nor the
 * last rotation's time when an attempt fails (docs/rotation.md, "The journal").
 */
function prune(records: RotationRecord[]): RotationRecord[] {
  const seen = new Set<string>();
  const kept: RotationRecord[] = [];
  for (const record of [...records].reverse()) {
    if (TERMINAL.includes(record.state.kind)) {
      const key = `${record.credential}\u0000${record.state.kind === 'done' ? 'done' : 'failed'}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    kept.push(record);
  }
  return kept.reverse();
}

function parseRecord(line: string): RotationRecord | undefined {
  try {
    const r = JSON.parse(line) as RotationRecord;
    const ok =
      typeof r?.credential === 'string' &&
      typeof r.clientName === 'string' &&
      typeof r.startedAt === 'string' &&
      KINDS.includes(r.state?.kind) &&
      (r.minted === undefined || typeof r.minted.refreshTokenId === 'string') &&
      (r.replaced === undefined || typeof r.replaced.refreshTokenId === 'string');
    return ok && stateIsWhole(r) ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The fields each state's recovery reads: a `revoking` record without `dueAt`
 * would skip the grace period, a `published` one without `publishedAt` would
 * throw on every pass (docs/rotation.md). A record without them is a damaged line.
 */
function stateIsWhole(r: RotationRecord): boolean {
  const date = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
  const state = r.state;
  if (r.watchUntil !== undefined && !date(r.watchUntil)) return false;
  switch (state.kind) {
    case 'minted':
      return r.minted !== undefined;
    case 'published':
      return (
        r.minted !== undefined &&
        date(state.publishedAt) &&
        (state.version === undefined || typeof state.version === 'number')
      );
    case 'revoking':
      return date(state.dueAt);
    default:
      return true;
  }
}

interface LegacyEntry {
  refreshTokenId: string;
  masked: string;
  dueAt: string;
  reason?: string;
  replaces?: { refreshTokenId: string; masked: string };
  clientName?: string;
}

function fromLegacy(value: unknown): RotationRecord[] {
  const v = value as LegacyEntry;
  if (typeof v?.refreshTokenId !== 'string' || typeof v.dueAt !== 'string') return [];
  const at = v.dueAt;
  const base = {
    credential: 'addon',
    startedAt: at,
    updatedAt: at,
    note: 'Migrated from pending-revocations.json.',
  };
  if (v.reason === 'unfinished rotation') {
    // The previous release's unfinished rotation: the minted token (or its name), and what it replaces.
    const placeholder = v.refreshTokenId.startsWith('client:');
    return [
      {
        ...base,
        clientName: v.clientName ?? `migrated ${v.refreshTokenId}`,
        replaced: v.replaces,
        minted: placeholder ? undefined : { refreshTokenId: v.refreshTokenId, masked: v.masked },
        state: { kind: placeholder ? 'minting' : 'minted' },
      },
    ];
  }
  return [
    {
      ...base,
      clientName: `migrated ${v.refreshTokenId}`,
      replaced: { refreshTokenId: v.refreshTokenId, masked: v.masked },
      state: { kind: 'revoking', dueAt: at },
    },
  ];
}
