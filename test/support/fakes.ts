import type { Clock } from '../../src/clock.js';
import type { CredentialSource, SourceReading } from '../../src/credentials/source.js';
import { createLogger, type Logger } from '../../src/log.js';

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(public ms = Date.parse('2026-11-23T12:00:00Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A source whose value and failures the test sets; counts its reads. */
export class ScriptedSource implements CredentialSource {
  readonly kind = 'options';
  readonly description = 'the test source';
  readonly remedy = 'put it in the test source';
  reads = 0;
  value = '';
  version = 1;
  failWith: Error | undefined;
  /** Resolves reads only when released, to hold callers in flight. */
  gate: Promise<void> | undefined;

  async read(): Promise<SourceReading> {
    this.reads++;
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    return { value: this.value, version: this.version };
  }
}

export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ level: 'trace', sink: (line) => lines.push(line) }), lines };
}

/** A JWT-shaped value like HA's, with chosen claims. */
export function jwt(
  claims: Record<string, unknown> = {},
  signature = 'c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU',
): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'abc123', iat: 1_700_000_000, ...claims })}.${signature}`;
}
