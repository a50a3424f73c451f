import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const queues = new Map<string, Promise<void>>();

/**
 * Replaces `file` atomically (write a temporary file, then rename), readable
 * by the owner only: for the files in DATA_DIR that hold anything about tokens
 * (DESIGN.md §7). Writes to one file run one after another, and each takes
 * the content when its turn comes, so the newest state always lands last.
 */
export function writePrivateFile(file: string, content: () => string): Promise<void> {
  const previous = queues.get(file) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, content(), { mode: 0o600 });
      await chmod(temporary, 0o600); // writeFile's mode is masked by the umask
      await rename(temporary, file);
    });
  queues.set(file, next);
  return next;
}

/** Resolves when every write started so far has landed (or failed): call before exiting. */
export async function flushPrivateFiles(): Promise<void> {
  await Promise.allSettled([...queues.values()]);
}
