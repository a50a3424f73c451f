import { z } from 'zod';
import { shortestInterval, upcomingRuns } from '../schedule/cron-check.js';
import {
  ARN,
  cronExpression,
  formatInterval,
  parameterName,
  REGION,
  RUNS_CHECKED,
  unsetIfBlank,
  wholeNumber,
} from './fields.js';

// The `consumers` option: one entry per outside system, and the checks that
// look across entries and at the AWS settings they need.

/** Names as they appear in client_name, metric labels and URLs. */
const CONSUMER_NAME = /^[a-z0-9_-]{1,64}$/;

export const consumer = z.object(
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
    rotation_schedule: unsetIfBlank(cronExpression),
  },
  {
    error:
      'must be a consumer: name and ssm_parameter, optionally lifespan_days, grace_minutes, rotation_schedule',
  },
);

/** Checks of the AWS settings and of the consumers, whatever the token source. */
export function checkConsumers(
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
