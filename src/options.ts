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
  notifications: true,
  consumers: [] as readonly never[],
  unused_alert_days: 30,
} as const;

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

/** Names as they appear in client_name, metric labels and URLs. */
const CONSUMER_NAME = /^[a-z0-9_-]{1,64}$/;

const consumer = z.object(
  {
    name: z.string({ error: 'must be text' }).regex(CONSUMER_NAME, {
      error: 'must be 1 to 64 lowercase letters, digits, - or _, e.g. alexa-skill',
    }),
    ssm_parameter: z.string({ error: 'must be text' }).regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, {
      error:
        'must be a parameter name starting with / (letters, digits, _ . - /), e.g. /home-assistant/consumers/alexa-skill',
    }),
    lifespan_days: wholeNumber(1, 3650, 'days').optional(),
    grace_minutes: wholeNumber(1, 1440, 'minutes').optional(),
    rotation_schedule: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
      cronExpression.optional(),
    ),
  },
  {
    error:
      'must be a consumer: name and ssm_parameter, optionally lifespan_days, grace_minutes, rotation_schedule',
  },
);

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
    notifications: z.boolean({ error: 'must be true or false' }).default(DEFAULTS.notifications),
    consumers: z
      .array(consumer, { error: 'must be a list of consumers (name, ssm_parameter, …)' })
      .default([]),
    unused_alert_days: wholeNumber(1, 3650, 'days').default(DEFAULTS.unused_alert_days),
  })
  .superRefine((o, ctx) => {
    const problem = (path: string | (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path: Array.isArray(path) ? path : [path], message });
    checkConsumers(o, problem);
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
    }
  });

/** Checks of the AWS settings and of the consumers, whatever the token source. */
function checkConsumers(
  o: {
    token_source: string;
    ssm_parameter?: string;
    aws_region?: string;
    aws_access_key_id?: string;
    aws_secret_access_key?: string;
    rotation_grace_minutes: number;
    consumers: {
      name: string;
      ssm_parameter: string;
      grace_minutes?: number;
      rotation_schedule?: string;
    }[];
  },
  problem: (path: string | (string | number)[], message: string) => void,
): void {
  if (o.aws_region !== undefined && !REGION.test(o.aws_region)) {
    // Not echoed: a value pasted into the wrong field may be a secret.
    problem('aws_region', 'is not an AWS region name; use e.g. eu-west-1');
  }
  const usesAws = o.token_source === 'ssm' || o.consumers.length > 0;
  if (usesAws && (o.aws_access_key_id === undefined) !== (o.aws_secret_access_key === undefined)) {
    const missing =
      o.aws_access_key_id === undefined ? 'aws_access_key_id' : 'aws_secret_access_key';
    problem(
      missing,
      'must be set together with the other AWS key, or both left empty to use the standard AWS credential chain',
    );
  }
  const regionInArn = o.token_source === 'ssm' && ARN.test(o.ssm_parameter ?? '');
  if (o.consumers.length > 0 && o.aws_region === undefined && !regionInArn) {
    problem(
      'aws_region',
      'is required when consumers are listed: the region of their parameters, e.g. eu-west-1',
    );
  }
  const names = new Map<string, number>();
  const parameters = new Map<string, number>();
  const source =
    o.token_source === 'ssm' && o.ssm_parameter ? parameterName(o.ssm_parameter) : undefined;
  o.consumers.forEach((c, i) => {
    const first = names.get(c.name);
    if (first !== undefined)
      problem(
        ['consumers', i, 'name'],
        `repeats the name of consumers[${first}]: names must be unique`,
      );
    else names.set(c.name, i);
    const same = parameters.get(c.ssm_parameter);
    if (same !== undefined)
      problem(
        ['consumers', i, 'ssm_parameter'],
        `is also the parameter of consumers[${same}]: each consumer needs its own parameter`,
      );
    else parameters.set(c.ssm_parameter, i);
    if (source !== undefined && parameterName(c.ssm_parameter) === source)
      problem(
        ['consumers', i, 'ssm_parameter'],
        "is the add-on's own ssm_parameter: a consumer needs its own parameter, or rotating one would replace the other's token",
      );
    const grace = c.grace_minutes ?? o.rotation_grace_minutes;
    if (c.rotation_schedule !== undefined) {
      const shortest = shortestInterval(upcomingRuns(c.rotation_schedule, RUNS_CHECKED));
      if (shortest !== undefined && shortest < grace * 60_000)
        problem(
          ['consumers', i, 'rotation_schedule'],
          `runs ${formatInterval(shortest)} apart at times, but a replaced token stays valid for the grace period (${grace} min): rotations must be at least that far apart`,
        );
    }
  });
}

/** A parameter's name: an ARN's part after `parameter`, e.g. /home-assistant/token. */
function parameterName(parameter: string): string {
  return ARN.exec(parameter)?.[3] ?? parameter;
}

/** `consumers[2].ssm_parameter`, as a user finds it in the Options tab. */
function optionPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

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
