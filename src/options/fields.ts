import cron from 'node-cron';
import { z } from 'zod';
import { upcomingRuns } from '../schedule/cron-check.js';

// The field checks both the add-on's options and the consumers' entries use.

export const ARN = /^arn:aws[a-z-]*:ssm:([a-z0-9-]+):(\d{12}):parameter(\/.+)$/;
export const PARAMETER_NAME = /^\/?[A-Za-z0-9_.\-/]{1,2048}$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** An optional field where empty text counts as unset: the Options tab leaves it behind. */
export const unsetIfBlank = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    schema.optional(),
  );

export const optionalText = unsetIfBlank(z.string({ error: 'must be text' }).trim());

/** A value as a message may show it: quoted, control characters escaped, clipped. */
function quoted(value: string, max = 60): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** Text from a library that may quote the value: control characters escaped. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Never echoes the value: a URL may carry a password (http://user:pass@host).
export const httpUrl = (what: string) =>
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
export const RUNS_CHECKED = 48;

export const cronExpression = z.string({ error: 'must be text' }).superRefine((value, ctx) => {
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

export const wholeNumber = (min: number, max: number, unit: string) =>
  z
    .number({ error: `must be a whole number of ${unit} from ${min} to ${max}` })
    .int({ error: `must be a whole number of ${unit} from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min} ${unit}` })
    .max(max, { error: `must be at most ${max} ${unit}` });

/** A parameter's name: an ARN's part after `parameter`, e.g. /home-assistant/token. */
export function parameterName(parameter: string): string {
  return ARN.exec(parameter)?.[3] ?? parameter;
}

export function formatInterval(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
