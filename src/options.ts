import { readFile } from 'node:fs/promises';
import cron from 'node-cron';
import { z } from 'zod';
import { LOG_LEVELS, type LogLevel, registerSecret } from './log.js';
import { shortestInterval, upcomingRuns } from './schedule/cron-check.js';
import { Token } from './tokens/token.js';

// Raw options (snake_case, as the Supervisor writes /data/options.json) become a
// typed, readonly Config once, or every problem at once. Keep in sync with the
// `options`/`schema` of config.yaml and with translations/en.yaml.

export const DEFAULTS = {
  home_assistant_url: 'http://homeassistant:8123',
  token_source: 'options',
  refresh_schedule: '*/5 * * * *',
  log_level: 'info',
  rotation_grace_minutes: 15,
  token_lifespan_days: 365,
} as const;

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
  | { ok: false; problems: string[]; logLevel: LogLevel };

const ARN = /^arn:aws[a-z-]*:ssm:([a-z0-9-]+):(\d{12}):parameter(\/.+)$/;
const PARAMETER_NAME = /^\/?[A-Za-z0-9_.\-/]{1,2048}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Empty strings count as unset: the Options tab leaves them behind. */
const optionalText = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z.string({ error: 'must be text' }).trim().optional(),
);

/** A value as a message may show it: quoted, control characters escaped, clipped. */
function quoted(value: string, max = 60): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** Text from a library that may quote the value: control characters escaped. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Never echoes the value: a URL may carry a password (http://user:pass@host).
const httpUrl = (what: string) =>
  z.string({ error: 'must be text' }).superRefine((v, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(v);
    } catch {}
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      ctx.addIssue({
        code: 'custom',
        message: `must be an http:// or https:// URL of ${what}, e.g. http://homeassistant:8123`,
      });
    } else if (url.username !== '' || url.password !== '') {
      // fetch refuses such URLs, and the URL is shown in the log and on the page.
      ctx.addIssue({
        code: 'custom',
        message: `must not contain a user name or password (the part before "@"): remove it; the add-on signs in with the token`,
      });
    }
  });

/** How many upcoming runs are looked at to find the shortest interval of a schedule. */
const RUNS_CHECKED = 48;

const cronExpression = z.string({ error: 'must be text' }).superRefine((value, ctx) => {
  const result = cron.validateDetailed(value);
  if (!result.valid) {
    const why = printable(result.errors.map((e) => e.message).join('; '));
    ctx.addIssue({
      code: 'custom',
      message: `${quoted(value)} is not a valid cron expression (${why}); use five fields, e.g. "*/5 * * * *" for every 5 minutes`,
    });
  } else if (upcomingRuns(value, 1).length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${quoted(value)} never runs: no date matches all its fields (e.g. the 1st of a month that is also its 5th Monday); use e.g. "0 3 * * 0" for Sundays at 03:00`,
    });
  }
});

const wholeNumber = (min: number, max: number, unit: string) =>
  z
    .number({ error: `must be a whole number of ${unit} from ${min} to ${max}` })
    .int({ error: `must be a whole number of ${unit} from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min} ${unit}` })
    .max(max, { error: `must be at most ${max} ${unit}` });

const schema = z
  .object({
    home_assistant_url: httpUrl('your Home Assistant').default(DEFAULTS.home_assistant_url),
    token_source: z
      .enum(['options', 'ssm'], { error: 'must be "options" or "ssm"' })
      .default(DEFAULTS.token_source),
    access_token: optionalText,
    ssm_parameter: optionalText,
    aws_region: optionalText,
    aws_access_key_id: optionalText,
    aws_secret_access_key: optionalText,
    ssm_endpoint: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
      httpUrl('the SSM endpoint').optional(),
    ),
    refresh_schedule: cronExpression.default(DEFAULTS.refresh_schedule),
    rotation_schedule: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
      cronExpression.optional(),
    ),
    rotation_grace_minutes: wholeNumber(1, 1440, 'minutes').default(
      DEFAULTS.rotation_grace_minutes,
    ),
    token_lifespan_days: wholeNumber(1, 3650, 'days').default(DEFAULTS.token_lifespan_days),
    ssm_kms_key_id: optionalText,
    log_level: z
      .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
      .default(DEFAULTS.log_level),
  })
  .superRefine((o, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (o.token_source === 'options' && o.access_token === undefined) {
      problem(
        'access_token',
        'is required when token_source is "options": paste a long-lived access token',
      );
    }
    if (o.token_source === 'ssm' && o.rotation_schedule !== undefined) {
      const graceMs = o.rotation_grace_minutes * 60_000;
      const shortest = shortestInterval(upcomingRuns(o.rotation_schedule, RUNS_CHECKED));
      if (shortest !== undefined && shortest < graceMs) {
        problem(
          'rotation_schedule',
          `runs ${formatInterval(shortest)} apart at times, but a replaced token stays valid for rotation_grace_minutes (${o.rotation_grace_minutes} min) and a rotation waits until the previous one is settled: rotations must be at least that far apart; use e.g. "0 3 * * 0" for Sundays at 03:00`,
        );
      }
    }
    if (o.token_source !== 'ssm') return;
    const arn = o.ssm_parameter ? ARN.exec(o.ssm_parameter) : null;
    if (o.ssm_parameter === undefined) {
      problem(
        'ssm_parameter',
        'is required when token_source is "ssm": the name of the parameter, e.g. /home-assistant/token',
      );
    } else if (!arn && !PARAMETER_NAME.test(o.ssm_parameter)) {
      problem(
        'ssm_parameter',
        'must be a parameter name (letters, digits, _ . - /, e.g. /home-assistant/token) or an SSM parameter ARN',
      );
    }
    if (o.aws_region === undefined && !arn) {
      problem(
        'aws_region',
        'is required when token_source is "ssm": the region of the parameter, e.g. eu-west-1',
      );
    } else if (o.aws_region !== undefined && !REGION.test(o.aws_region)) {
      // Not echoed: a value pasted into the wrong field may be a secret.
      problem('aws_region', 'is not an AWS region name; use e.g. eu-west-1');
    }
    if ((o.aws_access_key_id === undefined) !== (o.aws_secret_access_key === undefined)) {
      const missing =
        o.aws_access_key_id === undefined ? 'aws_access_key_id' : 'aws_secret_access_key';
      problem(
        missing,
        'must be set together with the other AWS key, or both left empty to use the standard AWS credential chain',
      );
    }
  });

function formatInterval(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** Every option the program reads, by its name in options.json. */
export const OPTION_NAMES: readonly string[] = Object.keys(schema.shape);

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
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`);

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
  if (!parsed.success || problems.length > 0) return { ok: false, problems, logLevel: level };

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
