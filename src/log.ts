import { inspect } from 'node:util';

// Leveled, namespaced, one line per event, secrets redacted on the way out —
// enforced here rather than by care at every call site (docs/architecture.md,
// "Security rules").

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

/** Registered values, each with how many live owners still hold it (0 = kept for good). */
const secrets = new Map<string, number>();
// A token is registered for as long as a Token object holding it lives: the
// process sees a new one at every rotation and re-read, and keeping them all
// would grow memory and the cost of every redaction without end.
const owners = new FinalizationRegistry<string>((value) => {
  const count = secrets.get(value);
  if (count === undefined || count === 0) return; // also registered for good
  if (count === 1) secrets.delete(value);
  else secrets.set(value, count - 1);
});

/**
 * Registers a value that must never be printed, whatever text it turns up in.
 * With an `owner`, the value is forgotten once the owner is garbage-collected
 * (the value lives in the owner; nothing else of ours can print it then);
 * without one (option values), it is kept for the life of the process.
 */
export function registerSecret(value: string, owner?: object): void {
  if (value.length < 4) return;
  const count = secrets.get(value);
  if (owner === undefined) {
    secrets.set(value, 0);
  } else if (count !== 0) {
    secrets.set(value, (count ?? 0) + 1);
    owners.register(owner, value);
  }
}

/**
 * The secrets the environment hands the add-on: `SUPERVISOR_TOKEN` (the way
 * into the Supervisor and the Core API, docs/alerts.md). Called first thing
 * in main, before anything can log.
 */
export function registerEnvironmentSecrets(env: NodeJS.ProcessEnv): void {
  if (env.SUPERVISOR_TOKEN) registerSecret(env.SUPERVISOR_TOKEN);
}

/** How many values are registered now: for tests that check they are let go. */
export function registeredSecretCount(): number {
  return secrets.size;
}

// JWT-shaped strings (HA tokens), bearer credentials and key=value secrets are
// redacted even when nobody registered them: exception text from HTTP clients
// has leaked `Authorization: Bearer …` in other projects.
//
// Every pattern must run in linear time on any input, since it runs on every
// log line and every status string, some of them from outside (request
// headers, library errors). A pattern that can start anywhere inside a long
// run of the characters it repeats backtracks over the rest of the run from
// each start: quadratic (64 kB of letters took 12 s). Hence the lookbehind on
// the token pattern (a match starts only where a run of segment characters
// starts) and no pattern with two adjacent quantifiers over the same characters.
const PATTERNS: [RegExp, string][] = [
  [
    /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    '[redacted token]',
  ],
  [/(bearer\s+)[^\s"',]+/gi, '$1[redacted]'],
  // The value after `key:` only when quoted or glued to the colon (`"token": "…"`,
  // `token:abc`, `token=abc`): in prose, the word after "access_token: " is
  // the message ("access_token: must be text"), not a secret.
  [
    /((?:access_token|refresh_token|token|password|secret)["']?\s*(?:[:=]\s*["']|=\s*|:))[^\s"',&}]+/gi,
    '$1[redacted]',
  ],
];

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets.keys()) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
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

/** An error's own message (for a sentence), or the redacted description of a thrown non-Error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : describeError(error);
}

/** The text with its first letter in upper case (a description that starts a sentence). */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
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
