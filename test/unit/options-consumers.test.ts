import { describe, expect, test } from 'vitest';
import { parseOptions } from '../../src/options.js';
import { jwt } from '../support/fakes.js';

const base = { access_token: jwt(), aws_region: 'eu-west-1' };
const c = (name: string, ssm_parameter: string, extra: Record<string, unknown> = {}) => ({
  name,
  ssm_parameter,
  ...extra,
});

describe('the consumers option', () => {
  test('fills each consumer’s defaults; the AWS settings serve them with token_source "options"', () => {
    const result = parseOptions({
      ...base,
      rotation_grace_minutes: 20,
      consumers: [
        c('alexa-skill', '/ha/c/alexa'),
        c('nas_2', '/ha/c/nas', {
          lifespan_days: 30,
          grace_minutes: 5,
          rotation_schedule: '0 3 * * 0',
        }),
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.tokenSource).toBe('options');
    expect(result.config.aws).toEqual({ region: 'eu-west-1' });
    expect(result.config.unusedAlertDays).toBe(30);
    expect(result.config.consumers).toEqual([
      {
        name: 'alexa-skill',
        parameter: '/ha/c/alexa',
        lifespanDays: 90,
        graceMinutes: 20,
        schedule: undefined,
      },
      {
        name: 'nas_2',
        parameter: '/ha/c/nas',
        lifespanDays: 30,
        graceMinutes: 5,
        schedule: '0 3 * * 0',
      },
    ]);
  });

  test('an empty rotation_schedule means the 2/3 rule', () => {
    const result = parseOptions({ ...base, consumers: [c('a', '/a', { rotation_schedule: ' ' })] });
    expect(result.ok && result.config.consumers[0]?.schedule).toBeUndefined();
  });

  test('reports every problem at once, naming consumers[i].field', () => {
    const result = parseOptions({
      ...base,
      unused_alert_days: 0,
      consumers: [
        c('alexa', '/ha/a'),
        c('Alexa Skill', 'no-slash'),
        c('alexa', '/ha/a', { lifespan_days: 0, rotation_schedule: 'soon' }),
        { name: 'x' },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const where = result.problems.map((p) => p.split(': ')[0]).sort();
    expect(where).toEqual(
      [
        'consumers[1].name',
        'consumers[1].ssm_parameter',
        'consumers[2].lifespan_days',
        'consumers[2].rotation_schedule',
        'consumers[3].ssm_parameter',
        'unused_alert_days',
      ].sort(),
    );
  });

  test('duplicate names and duplicate parameters are problems', () => {
    const result = parseOptions({
      ...base,
      consumers: [c('a', '/p/1'), c('b', '/p/1'), c('a', '/p/3')],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'consumers[1].ssm_parameter: is also the parameter of consumers[0]: each consumer needs its own parameter',
      'consumers[2].name: repeats the name of consumers[0]: names must be unique',
    ]);
  });

  test("a consumer may not use the add-on's own source parameter, named or by ARN", () => {
    for (const ssm_parameter of [
      '/home-assistant/token',
      'arn:aws:ssm:eu-west-1:123456789012:parameter/home-assistant/token',
    ]) {
      const result = parseOptions({
        ...base,
        token_source: 'ssm',
        ssm_parameter,
        consumers: [c('a', '/p/1'), c('b', '/home-assistant/token')],
      });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.problems).toEqual([
        "consumers[1].ssm_parameter: is the add-on's own ssm_parameter: a consumer needs its own parameter, or rotating one would replace the other's token",
      ]);
    }
  });

  test('consumers need a region; a schedule closer than the grace period is refused', () => {
    const result = parseOptions({
      access_token: jwt(),
      consumers: [c('a', '/p/1', { grace_minutes: 30, rotation_schedule: '*/10 * * * *' })],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.split(': ')[0])).toEqual([
      'aws_region',
      'consumers[0].rotation_schedule',
    ]);
  });
});
