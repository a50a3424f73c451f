import { z } from 'zod';
import { LOG_LEVELS } from '../log.js';
import { shortestInterval, upcomingRuns } from '../schedule/cron-check.js';
import { checkConsumers, consumer } from './consumers.js';
import {
  ARN,
  cronExpression,
  formatInterval,
  httpUrl,
  optionalText,
  PARAMETER_NAME,
  RUNS_CHECKED,
  unsetIfBlank,
  wholeNumber,
} from './fields.js';

// The schema of options.json, field by field, and the checks across fields.
// Keep in sync with the `options`/`schema` of config.yaml and with translations/en.yaml.

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

export const schema = z
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
    ssm_endpoint: unsetIfBlank(httpUrl('the SSM endpoint')),
    refresh_schedule: cronExpression.default(DEFAULTS.refresh_schedule),
    rotation_schedule: unsetIfBlank(cronExpression),
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

/** Every option the program reads, by its name in options.json. */
export const OPTION_NAMES: readonly string[] = Object.keys(schema.shape);
