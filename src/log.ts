import { inspect } from 'node:util';

// Leveled, namespaced, one line per event, secrets redacted on the way out —
// enforced here rather than by care at every call site (DESIGN.md C11).

export const LOG_LEVELS = [
  'trace',
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'fatal',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const secrets = new Set<string>();

/** Registers a value that must never be printed, whatever text it turns up in. */
export function registerSecret(value: string): void {
  if (value.length >= 4) secrets.add(value);
}

// JWT-shaped strings (HA tokens), bearer credentials and query-string tokens are
// redacted even when nobody registered them: exception text from HTTP clients
// has leaked `Authorization: Bearer …` in other projects.
const PATTERNS: [RegExp, string][] = [
  [/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted token]'],
  [/(bearer\s+)[^\s"',]+/gi, '$1[redacted]'],
  [
    /((?:access_token|refresh_token|token|password|secret)["']?\s*[:=]\s*["']?)[^\s"',&}]+/gi,
    '$1[redacted]',
  ],
];

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Message, stack and the whole cause chain of an error, as one redacted string. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : inspect(current, { depth: 2 }));
      current = undefined;
    }
  }
  return redact(parts.join(' <- caused by: '));
}

export type LogSink = (line: string) => void;

export interface Logger {
  child(namespace: string): Logger;
  enabled(level: LogLevel): boolean;
  trace(message: string, error?: unknown): void;
  debug(message: string, error?: unknown): void;
  info(message: string, error?: unknown): void;
  notice(message: string, error?: unknown): void;
  warning(message: string, error?: unknown): void;
  error(message: string, error?: unknown): void;
  fatal(message: string, error?: unknown): void;
}

export function createLogger(options: {
  level: LogLevel;
  sink?: LogSink;
  namespace?: string;
  now?: () => Date;
}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const write = (level: LogLevel, message: string, error?: unknown) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const detail = error === undefined ? '' : ` (${describeError(error)})`;
    const text = redact(`${message}${detail}`).replace(/\s*\n\s*/g, ' | ');
    const ns = options.namespace ? ` [${options.namespace}]` : '';
    sink(`${now().toISOString()} ${level.toUpperCase()}${ns} ${text}`);
  };
  const logger: Logger = {
    child: (namespace) =>
      createLogger({
        ...options,
        sink,
        namespace: options.namespace ? `${options.namespace}.${namespace}` : namespace,
      }),
    enabled: (level) => LOG_LEVELS.indexOf(level) >= threshold,
    trace: (m, e) => write('trace', m, e),
    debug: (m, e) => write('debug', m, e),
    info: (m, e) => write('info', m, e),
    notice: (m, e) => write('notice', m, e),
    warning: (m, e) => write('warning', m, e),
    error: (m, e) => write('error', m, e),
    fatal: (m, e) => write('fatal', m, e),
  };
  return logger;
}
