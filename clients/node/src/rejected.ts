import { createHash } from 'node:crypto';

/**
 * Hashes of tokens Home Assistant has rejected. Every 401 is a failed login
 * in Home Assistant and counts toward an IP ban (components/http/ban.py), so
 * a rejected token is never sent again; the hash is kept, never the token.
 */
export class RejectedTokens {
  readonly #hashes: string[] = [];
  readonly #limit: number;

  constructor(limit = 32) {
    this.#limit = limit;
  }

  add(token: string): void {
    const hash = tokenHash(token);
    if (this.#hashes.includes(hash)) return;
    this.#hashes.push(hash);
    if (this.#hashes.length > this.#limit) this.#hashes.shift();
  }

  has(token: string): boolean {
    return this.#hashes.includes(tokenHash(token));
  }
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
