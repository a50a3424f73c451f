import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { consumerName, isTerminal, type RotationRecord } from '../rotation/record.js';
import { CONSUMERS_FILE } from './memory.js';

// Whether the consumer manager runs (docs/rotation.md, "Consumers"): not only
// while consumers are configured. A consumer removed from the options stays
// listed (with its Revoke button) until its token is revoked, and an
// unfinished rotation of a consumer must still be settled — also after the
// last consumer was removed.

export interface WantedInput {
  configured: number;
  dataDir: string;
  /** The journal, read. */
  records: readonly RotationRecord[];
  /** Whether an SSM client can be made (aws_region set, or the SSM token source). */
  ssm: boolean;
}

export type Wanted = { run: true } | { run: false; problem?: string };

export async function consumersWanted(i: WantedInput): Promise<Wanted> {
  const unsettled = i.records.filter(
    (r) => consumerName(r.credential) !== undefined && !isTerminal(r),
  ).length;
  const remembered = await rememberedCount(i.dataDir);
  if (i.configured === 0 && remembered === 0 && unsettled === 0) return { run: false };
  if (i.ssm) return { run: true };
  const what = [
    remembered > 0
      ? `${remembered} consumer(s) no longer configured whose token may still work`
      : '',
    unsettled > 0 ? `${unsettled} unfinished consumer rotation(s) in the journal` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  return {
    run: false,
    problem: `The add-on remembers ${what}, but cannot reach SSM: set aws_region (and AWS credentials, or use the standard AWS credential chain) so it can list, revoke and settle them.`,
  };
}

/** Entries in consumers.json; a file that cannot be understood counts as one (the manager reports it). */
async function rememberedCount(dataDir: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(join(dataDir, CONSUMERS_FILE), 'utf8');
  } catch {
    return 0;
  }
  try {
    const consumers = (JSON.parse(text) as { consumers?: unknown }).consumers;
    return typeof consumers === 'object' && consumers !== null ? Object.keys(consumers).length : 1;
  } catch {
    return 1;
  }
}
