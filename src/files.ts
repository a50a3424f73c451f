import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replaces `file` with `text` atomically (write a temporary file, then
 * rename), readable by the owner only: for the files in DATA_DIR that hold
 * anything about tokens (DESIGN.md §7).
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await chmod(temporary, 0o600); // writeFile's mode is masked by the umask
  await rename(temporary, file);
}
