import { readFile } from 'node:fs/promises';
import { LOG_LEVELS, type LogLevel, registerSecret } from './log.js';
import { ARN } from './options/fields.js';
import { schema } from './options/schema.js';
import { Token } from './tokens/token.js';

export { DEFAULTS, OPTION_NAMES } from './options/schema.js';

// Raw options (snake_case, as the Supervisor writes /data/options.json) become a
// typed, readonly Config once, or every problem at once. Keep in sync with the
// `options`/`schema` of config.yaml and with translations/en.yaml. The schema
// and its field checks are in options/.

/** A consumer's token lives this long unless its entry says otherwise. */
export const CONSUMER_LIFESPAN_DAYS = 90;

export interface SsmConfig {
  /** Name (`/ha/token`) or ARN, as given. */
  readonly parameter: string;
  readonly region: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly endpoint?: string;
}

export interface Config {
  readonly homeAssistantUrl: string;
  readonly tokenSource: 'options' | 'ssm';
  /** From the Options tab; the source for `options`, the last fallback for `ssm`. */
  readonly accessToken?: Token;
  readonly ssm?: SsmConfig;
  readonly refreshSchedule: string;
  readonly logLevel: LogLevel;
  readonly rotation: RotationConfig;
  /** Persistent notifications in Home Assistant for problems (src/alerts/); entities and events stay. */
  readonly notifications: boolean;
  /**
   * AWS settings for every SSM call (the source's and the consumers'): one
   * client, also when token_source is "options". Undefined when nothing uses SSM.
   */
  readonly aws?: AwsConfig;
  readonly consumers: readonly ConsumerConfig[];
  /** A consumer whose token was not used for this long is flagged `unused`. */
  readonly unusedAlertDays: number;
}

export interface AwsConfig {
  readonly region: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly endpoint?: string;
}

/** One outside system with its own token (docs/rotation.md, "Credentials"). */
export interface ConsumerConfig {
  /** Lowercase letters, digits, - and _: part of the token's client_name and of metric labels. */
  readonly name: string;
  /** The SecureString parameter the add-on publishes the token to (a name, not an ARN). */
  readonly parameter: string;
  readonly lifespanDays: number;
  readonly graceMinutes: number;
  /** Cron expression; undefined = rotate when 2/3 of the lifespan has passed. */
  readonly schedule?: string;
}

export interface RotationConfig {
  /** Cron expression; undefined = no scheduled rotation ("Rotate now" still works for ssm). */
  readonly schedule?: string;
  /** How long a replaced token keeps working: longer than consumers cache the parameter. */
  readonly graceMinutes: number;
  /** Lifespan of minted tokens. */
  readonly lifespanDays: number;
  /** KMS key for the new parameter version; undefined = the key the parameter uses now. */
  readonly kmsKeyId?: string;
}

export type OptionsResult =
  | { ok: true; config: Config; warnings: string[] }
  | { ok: false; problems: string[]; logLevel: LogLevel; notifications?: boolean };

/** `consumers[2].ssm_parameter`, as a user finds it in the Options tab. */
function optionPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/** Turns raw options into a Config, or lists every problem, each naming its option. */
export function parseOptions(raw: unknown, now: Date = new Date()): OptionsResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      problems: ['The options must be a JSON object of option names and values.'],
      logLevel: 'info',
    };
  }
  const record = raw as Record<string, unknown>;
  // Register secrets before anything could print them.
  for (const key of ['access_token', 'aws_secret_access_key']) {
    if (typeof record[key] === 'string') registerSecret(record[key].trim());
  }
  const unknown = Object.keys(record)
    .filter((key) => !(key in schema.shape))
    .map((key) => `${key}: is not an option of this add-on and is ignored (check its spelling)`);
  const warnings = [...unknown];
  if (
    typeof record.rotation_schedule === 'string' &&
    record.rotation_schedule.trim() &&
    record.token_source !== 'ssm'
  ) {
    warnings.push(
      'rotation_schedule: rotation needs token_source "ssm" (there is nowhere to publish a new token); it is off',
    );
  }
  const parsed = schema.safeParse(record);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map(
        (issue) => `${optionPath(issue.path) || 'options'}: ${issue.message}`,
      );

  // Checked whatever else is wrong: every problem at once.
  let accessToken: Token | undefined;
  const rawToken =
    typeof record.access_token === 'string' && record.access_token.trim() !== ''
      ? record.access_token
      : undefined;
  if (rawToken !== undefined) {
    try {
      accessToken = Token.parse(rawToken, 'the access_token option', now);
    } catch (error) {
      problems.push(
        `access_token: ${(error as Error).message.replace(/^The token in the access_token option /, '')}`,
      );
    }
  }
  const level = LOG_LEVELS.includes(record.log_level as LogLevel)
    ? (record.log_level as LogLevel)
    : 'info';
  if (!parsed.success || problems.length > 0)
    // Alerts run while the options need fixing; they honour `notifications: false` (src/main.ts).
    return { ok: false, problems, logLevel: level, notifications: record.notifications !== false };

  const o = parsed.data;
  const arn = o.ssm_parameter ? ARN.exec(o.ssm_parameter) : null;
  const config: Config = {
    homeAssistantUrl: o.home_assistant_url.replace(/\/+$/, ''),
    tokenSource: o.token_source,
    accessToken,
    ssm:
      o.token_source === 'ssm' && o.ssm_parameter
        ? {
            parameter: o.ssm_parameter,
            region: o.aws_region ?? (arn?.[1] as string),
            accessKeyId: o.aws_access_key_id,
            secretAccessKey: o.aws_secret_access_key,
            endpoint: o.ssm_endpoint,
          }
        : undefined,
    refreshSchedule: o.refresh_schedule,
    rotation: {
      schedule: o.rotation_schedule,
      graceMinutes: o.rotation_grace_minutes,
      lifespanDays: o.token_lifespan_days,
      kmsKeyId: o.ssm_kms_key_id,
    },
    logLevel: o.log_level,
    notifications: o.notifications,
    aws:
      o.aws_region !== undefined || o.token_source === 'ssm'
        ? {
            region: o.aws_region ?? (arn?.[1] as string),
            accessKeyId: o.aws_access_key_id,
            secretAccessKey: o.aws_secret_access_key,
            endpoint: o.ssm_endpoint,
          }
        : undefined,
    consumers: o.consumers.map((c) =>
      Object.freeze({
        name: c.name,
        parameter: c.ssm_parameter,
        lifespanDays: c.lifespan_days ?? CONSUMER_LIFESPAN_DAYS,
        graceMinutes: c.grace_minutes ?? o.rotation_grace_minutes,
        schedule: c.rotation_schedule,
      }),
    ),
    unusedAlertDays: o.unused_alert_days,
  };
  return { ok: true, config: Object.freeze(config), warnings };
}

/** Reads and parses the options file; a missing or unreadable file is a problem, not a crash. */
export async function loadOptions(file: string, now: Date = new Date()): Promise<OptionsResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `was not found. Save the add-on's options once (Options tab), or set OPTIONS_FILE to the right file.`
        : `could not be read (${code ?? 'unknown error'}).`;
    return { ok: false, problems: [`options file ${file} ${why}`], logLevel: 'info' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // Only the position: V8's message quotes the text around it, which may hold a secret.
    const at = /position (\d+)/.exec((error as Error).message);
    const where = at ? ` near line ${text.slice(0, Number(at[1])).split('\n').length}` : '';
    return {
      ok: false,
      problems: [
        `options file ${file} is not valid JSON${where}. Fix the file or save the options again.`,
      ],
      logLevel: 'info',
    };
  }
  return parseOptions(raw, now);
}
