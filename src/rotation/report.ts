import type { RotationInfo } from '../status/status-model.js';
import type { RotationRecord } from './record.js';

// What /api/status and the page show of the rotation journal.

export interface ReportInput {
  available: boolean;
  unavailableReason: string | undefined;
  graceMinutes: number;
  running: boolean;
  step: string | undefined;
  records: readonly RotationRecord[];
  /** What each unfinished record waits for, by client_name. */
  waiting: ReadonlyMap<string, string>;
  /** The refresh-token id of the token the add-on uses: never listed as a pending revocation. */
  inUse: string | undefined;
  problems: readonly string[];
}

export function rotationInfo(i: ReportInput): RotationInfo {
  const pending = i.records.flatMap((r) =>
    r.state.kind === 'revoking' && r.replaced && r.replaced.refreshTokenId !== i.inUse
      ? [{ masked: r.replaced.masked, dueAt: r.state.dueAt }]
      : [],
  );
  return {
    available: i.available,
    unavailableReason: i.unavailableReason,
    graceMinutes: i.graceMinutes,
    running: i.running,
    step: i.step,
    pending,
    journal: i.records.map((r) => ({
      credential: r.credential,
      clientName: r.clientName,
      state: r.state.kind,
      startedAt: r.startedAt,
      updatedAt: r.updatedAt,
      minted: r.minted?.masked,
      replaced: r.replaced?.masked,
      dueAt: r.state.kind === 'revoking' ? r.state.dueAt : undefined,
      note: r.note,
      waitingFor: i.waiting.get(r.clientName),
      revoked: revokedBy(r),
    })),
    problems: [...i.problems],
  };
}

/** The masked token a finished record revoked, as recovery.ts recorded it. */
function revokedBy(r: RotationRecord): string | undefined {
  if (r.state.kind === 'done') return r.state.revoked ? r.replaced?.masked : undefined;
  // Rolled back with a minted token: that token was revoked (recoverMinted).
  if (r.state.kind === 'rolled-back') return r.minted?.masked;
  return undefined;
}
