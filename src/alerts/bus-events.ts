import { consumerCredential } from '../rotation/record.js';
import type { StatusSnapshot } from '../status/status-model.js';
import { credentialName } from './credential-view.js';

// Events for Home Assistant's event bus, found by comparing one status
// snapshot with the next: `issued` (rotation minted a token), `rotated` (the
// new token went into use), `revoked` (a token was revoked: the replaced one
// after the grace period, a minted one rolled back — as the journal's record
// says, `revoked` — or a consumer's by the Revoke button), `rejected` (Home
// Assistant refused a token). The last two come from event lines that carry a
// `bus` signal, not from their words. Each names the credential and carries
// masked tokens only. What was there when watching began is not reported.

export type BusEventKind = 'issued' | 'rotated' | 'revoked' | 'rejected';

export interface BusEvent {
  type: `ha_token_manager_${BusEventKind}`;
  data: { credential: string; name: string; token?: string; replaced?: string };
}

export class BusEventDiff {
  /** clientName → the journal state and whether a minted token was seen. */
  readonly #records = new Map<string, { state: string; minted: boolean }>();
  readonly #seenEvents = new Set<string>();
  /** Consumer name → its last state. */
  readonly #consumers = new Map<string, string>();
  /** False for the first snapshot: what was already there is not news. */
  #primed = false;

  /** Takes in what is true now without reporting it (the start). */
  constructor(first: StatusSnapshot) {
    this.next(first);
  }

  next(s: StatusSnapshot): BusEvent[] {
    const out: BusEvent[] = [];
    const primed = this.#primed;
    this.#primed = true;
    for (const r of s.rotation?.journal ?? []) {
      const before = this.#records.get(r.clientName);
      this.#records.set(r.clientName, { state: r.state, minted: r.minted !== undefined });
      if (!primed) continue;
      const data = { credential: r.credential, name: credentialName(r.credential) };
      if (r.minted && !before?.minted)
        out.push({ type: 'ha_token_manager_issued', data: { ...data, token: r.minted } });
      const inUse = (x: string | undefined) => x === 'revoking' || x === 'done';
      if (inUse(r.state) && !inUse(before?.state))
        out.push({
          type: 'ha_token_manager_rotated',
          data: { ...data, token: r.minted, replaced: r.replaced },
        });
      // Only what the record says was revoked: a foreign token, or one the
      // parameter holds again, reaches `done`/`abandoned` without it (src/rotation/recovery.ts).
      if (r.revoked && r.state !== before?.state)
        out.push({ type: 'ha_token_manager_revoked', data: { ...data, token: r.revoked } });
    }
    // The ring is newest first; report oldest first.
    for (const e of [...s.events].reverse()) {
      const key = `${e.at}\u0000${e.source}\u0000${e.message}`;
      if (this.#seenEvents.has(key)) continue;
      this.#seenEvents.add(key);
      if (primed && e.bus)
        out.push({
          type: `ha_token_manager_${e.bus.kind}`,
          data: {
            credential: e.bus.credential,
            name: credentialName(e.bus.credential),
            token: e.bus.token,
          },
        });
    }
    // A consumer's token Home Assistant refused: its state turns `rejected`.
    for (const c of s.consumers ?? []) {
      const before = this.#consumers.get(c.name);
      this.#consumers.set(c.name, c.state);
      if (primed && c.state === 'rejected' && before !== 'rejected')
        out.push({
          type: 'ha_token_manager_rejected',
          data: { credential: consumerCredential(c.name), name: c.name, token: c.masked },
        });
    }
    // Keep the memory bounded by what the ring can still hold.
    if (this.#seenEvents.size > 4 * Math.max(50, s.events.length)) {
      const live = new Set(s.events.map((e) => `${e.at}\u0000${e.source}\u0000${e.message}`));
      for (const key of this.#seenEvents) if (!live.has(key)) this.#seenEvents.delete(key);
    }
    return out;
  }
}
