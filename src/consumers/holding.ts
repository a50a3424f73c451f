import type { Logger } from '../log.js';
import { type Holder, sharedTokens } from '../rotation/holders.js';
import { consumerCredential } from '../rotation/record.js';
import type { StatusModel } from '../status/status-model.js';
import type { ConsumerMemory, Remembered } from './memory.js';

// Which token each consumer holds, for the rotation's "held elsewhere" check
// (docs/rotation.md, "Shared tokens").

/** Each consumer's last-seen token, also of consumers no longer configured. */
export function consumerHolders(memory: ConsumerMemory): Holder[] {
  return memory.names().flatMap((name) => {
    const r = memory.get(name) as Remembered;
    if (!r.refreshTokenId) return [];
    const label = `consumer ${name} (SSM parameter ${r.parameter})`;
    return [{ credential: consumerCredential(name), label, refreshTokenId: r.refreshTokenId }];
  });
}

/** One token held by two credentials: rotating one revokes nothing the other uses, but it is said once. */
export class SharedTokenWarning {
  readonly #said = new Set<string>();

  constructor(
    private readonly status: Pick<StatusModel, 'event'>,
    private readonly log: Logger,
  ) {}

  check(holders: readonly Holder[]): void {
    for (const line of sharedTokens(holders)) {
      if (this.#said.has(line)) continue;
      this.#said.add(line);
      const message = `One token is held by ${line}: a rotation of one leaves it unrevoked while another holds it; give each its own token.`;
      this.status.event('warning', 'consumers', message);
      this.log.warning(`Consumers: ${message}`);
    }
  }
}
