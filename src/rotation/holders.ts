// Who holds which token, across credentials (docs/rotation.md, "Shared
// tokens"): the same long-lived token can be adopted by two consumers, or a
// consumer can be given the add-on's own token. Revoking it for one would cut
// off the other, so recover() is told which tokens are held elsewhere.

/** One credential's current token: its refresh-token id and who holds it, in words. */
export interface Holder {
  /** The journal key: `addon`, or `consumer:<name>`. */
  credential: string;
  /** "the add-on's connection", "consumer alexa (SSM parameter /x)". */
  label: string;
  refreshTokenId: string;
}

/** The tokens held by any credential but `except`, each with who holds it. */
export function heldElsewhere(holders: readonly Holder[], except: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of holders) {
    if (h.credential === except) continue;
    const before = out.get(h.refreshTokenId);
    out.set(h.refreshTokenId, before ? `${before} and ${h.label}` : h.label);
  }
  return out;
}

/** Tokens held by more than one credential: one line per token, naming every holder. */
export function sharedTokens(holders: readonly Holder[]): string[] {
  const by = new Map<string, Holder[]>();
  for (const h of holders) by.set(h.refreshTokenId, [...(by.get(h.refreshTokenId) ?? []), h]);
  return [...by.values()]
    .filter((list) => new Set(list.map((h) => h.credential)).size > 1)
    .map((list) => list.map((h) => h.label).join(' and '));
}
