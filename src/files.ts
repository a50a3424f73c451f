import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

const queues = new Map<string, Promise<void>>();

/**
 * Replaces `file` atomically (write a temporary file and fsync it, rename, fsync the directory), readable
 * by the owner only: for the files in DATA_DIR that hold anything about tokens
 * (docs/architecture.md, "Security rules"). Writes to one file run one after another, and each takes
 * the content when its turn comes, so the newest state always lands last.
 */
export function writePrivateFile(file: string, content: () => string): Promise<void> {
  const previous = queues.get(file) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(content());
        await handle.chmod(0o600); // open's mode is masked by the umask
        // On disk before the rename: else a power cut can leave the new name on an empty file.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
      await syncDirectory(dirname(file));
    });
  queues.set(file, next);
  return next;
}

/**
 * fsync(2) of the directory makes the rename itself durable: until then a
 * power cut may bring back the old file (a journal record written "before its
 * side effect" would be lost although the side effect happened).
 */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot sync a directory; the rename is all they offer.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}

/** Resolves when every write started so far has landed (or failed): call before exiting. */
export async function flushPrivateFiles(): Promise<void> {
  await Promise.allSettled([...queues.values()]);
}

/** What reading a private JSON file found. */
export type PrivateJson<T> =
  /** No file: nothing was ever written (or it was removed by hand). */
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly value: T }
  /**
   * The file could not be read or understood. `problem` says so in words for
   * the log and the page (file name, what was wrong, where the damaged copy
   * is); `salvaged` is what `salvage` could still read from the text.
   */
  | {
      readonly kind: 'damaged';
      readonly problem: string;
      readonly salvaged: T | undefined;
      /** Where the damaged file now is, when it could be kept. */
      readonly keptAs: string | undefined;
    };

/**
 * Reads a JSON file that `writePrivateFile` wrote. `parse` turns the parsed
 * JSON into the caller's type and throws on a wrong shape. A file that is not
 * JSON (truncated by a full disk or a power cut) or has the wrong shape is
 * never dropped silently: it is renamed beside itself
 * (`<name>.damaged-<time>`) so nobody loses it and the next write starts
 * fresh, and `salvage` gets its text to recover what it still can.
 */
export async function readPrivateJson<T>(
  file: string,
  parse: (value: unknown) => T,
  salvage: (text: string) => T | undefined = () => undefined,
  now: () => Date = () => new Date(),
): Promise<PrivateJson<T>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return {
      kind: 'damaged',
      problem: `${basename(file)} in ${dirname(file)} could not be read (${code ?? 'unknown error'}); check its owner and mode`,
      salvaged: undefined,
      keptAs: undefined,
    };
  }
  let why: string;
  try {
    return { kind: 'ok', value: parse(JSON.parse(text)) };
  } catch (error) {
    // Not the parser's message: V8 quotes the text around the error.
    why = error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message;
  }
  const keptAs = `${file}.damaged-${now().toISOString().replace(/[:.]/g, '-')}`;
  let kept: string | undefined = keptAs;
  try {
    await rename(file, keptAs);
  } catch {
    kept = undefined;
  }
  return {
    kind: 'damaged',
    problem: `${basename(file)} in ${dirname(file)} was damaged (${why}); ${
      kept ? `the damaged copy is kept as ${basename(kept)}` : 'it could not be moved aside'
    }`,
    salvaged: salvage(text),
    keptAs: kept,
  };
}
