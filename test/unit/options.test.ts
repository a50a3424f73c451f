import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadOptions, parseOptions } from '../../src/options.js';
import { jwt } from '../support/fakes.js';

const token = jwt();

describe('parseOptions', () => {
  test('fills the documented defaults around a token', () => {
    const result = parseOptions({ access_token: token });

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      homeAssistantUrl: 'http://homeassistant:8123',
      tokenSource: 'options',
      refreshSchedule: '*/5 * * * *',
      logLevel: 'info',
    });
    expect(result.config.accessToken?.reveal()).toBe(token);
  });

  test('reports every problem at once, each naming its option', () => {
    const result = parseOptions({
      home_assistant_url: 'ftp://x',
      token_source: 'vault',
      refresh_schedule: 'every minute',
      log_level: 'verbose',
    });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'home_assistant_url',
      'log_level',
      'refresh_schedule',
      'token_source',
    ]);
    expect(result.problems.join('\n')).toMatch(/e\.g\. "\*\/5 \* \* \* \*"/);
  });

  test('requires a token for the options source and checks its shape without echoing it', () => {
    const missing = parseOptions({});
    const malformed = parseOptions({ access_token: 'secret-but-not-a-jwt' });

    expect(missing.ok || missing.problems).toEqual([
      expect.stringMatching(/^access_token: is required/),
    ]);
    expect(malformed.ok || malformed.problems).toEqual([
      expect.stringMatching(/^access_token: is not shaped like/),
    ]);
    expect(JSON.stringify(malformed)).not.toContain('secret-but-not-a-jwt');
  });

  test('treats empty strings as unset, as the Options tab leaves them', () => {
    const result = parseOptions({ access_token: token, ssm_parameter: '', aws_region: ' ' });
    expect(result.ok).toBe(true);
  });

  test('for the ssm source requires parameter and region, and both AWS keys or neither', () => {
    const result = parseOptions({ token_source: 'ssm', aws_access_key_id: 'AKIAEXAMPLE' });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'aws_region',
      'aws_secret_access_key',
      'ssm_parameter',
    ]);
  });

  test('takes the region from a parameter ARN', () => {
    const result = parseOptions({
      token_source: 'ssm',
      ssm_parameter: 'arn:aws:ssm:eu-west-1:123456789012:parameter/ha/token',
    });

    expect(result.ok && result.config.ssm).toMatchObject({ region: 'eu-west-1' });
  });

  test('warns about unknown options instead of failing on them', () => {
    const result = parseOptions({ access_token: token, acess_token: 'typo' });
    expect(result.ok && result.warnings).toEqual([
      expect.stringMatching(/^acess_token: is not an option/),
    ]);
  });

  test('keeps a valid log level even when other options are wrong', () => {
    const result = parseOptions({ log_level: 'debug' });
    expect(result.ok || result.logLevel).toBe('debug');
  });
});

describe('parseOptions refuses what would fail later', () => {
  const ssm = { token_source: 'ssm', ssm_parameter: '/ha/token', aws_region: 'eu-west-1' };

  test('a cron expression that validates but never fires is a problem naming the option', () => {
    const result = parseOptions({ access_token: token, refresh_schedule: '0 0 1 * 1#5' });

    expect(result.ok || result.problems).toEqual([
      expect.stringMatching(/^refresh_schedule: "0 0 1 \* 1#5" never runs/),
    ]);
  });

  test('a URL with a user name or password is refused without echoing it', () => {
    const result = parseOptions({
      ...ssm,
      home_assistant_url: 'http://user:s3cret-pass@homeassistant:8123',
      ssm_endpoint: 'https://key:other-pass@ssm.local',
    });

    expect(result.ok || result.problems.sort()).toEqual([
      expect.stringMatching(/^home_assistant_url: must not contain a user name or password/),
      expect.stringMatching(/^ssm_endpoint: must not contain a user name or password/),
    ]);
    expect(JSON.stringify(result)).not.toMatch(/s3cret-pass|other-pass|user:|key:/);
  });

  test.each([
    ['* * * * * *', 15, /runs 1 s apart/],
    ['*/5 * * * *', 15, /runs 5 min apart/],
    ['0 3,4 * * *', 90, /runs 1 h apart/],
  ])(
    'a rotation schedule (%s) closer than the grace period (%i min) is refused, saying why',
    (schedule, grace, apart) => {
      const result = parseOptions({
        ...ssm,
        rotation_schedule: schedule,
        rotation_grace_minutes: grace,
      });

      expect(result.ok || result.problems).toEqual([
        expect.stringMatching(/^rotation_schedule: .*rotation_grace_minutes/),
      ]);
      expect(result.ok || result.problems[0]).toMatch(apart);
    },
  );

  test.each([
    ['0 3 * * 0', 15],
    ['* * * * *', 1],
  ])(
    'a rotation schedule (%s) at least the grace period (%i min) apart is accepted',
    (schedule, grace) => {
      const result = parseOptions({
        ...ssm,
        rotation_schedule: schedule,
        rotation_grace_minutes: grace,
      });
      expect(result.ok).toBe(true);
    },
  );

  test('the access_token shape problem is reported beside the other problems', () => {
    const result = parseOptions({ access_token: 'not-a-jwt-value', log_level: 'loud' });

    expect(result.ok || result.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'access_token',
      'log_level',
    ]);
  });

  test('control characters in a value are escaped, never echoed raw', () => {
    const result = parseOptions({ access_token: token, refresh_schedule: '0 0 1 * \u0000' });

    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).toContain('\\u0000');
    expect(result.ok || result.problems.join('')).not.toContain('\u0000');
  });

  test('a wrong aws_region is not echoed: it may be a secret pasted into the wrong field', () => {
    const result = parseOptions({ ...ssm, aws_region: 'wJalrXUtnFEMI-K7MDENG' });

    expect(result.ok || result.problems).toEqual([
      expect.stringMatching(/^aws_region: is not an AWS region name/),
    ]);
    expect(JSON.stringify(result)).not.toContain('wJalrXUtnFEMI');
  });
});

describe('loadOptions', () => {
  test('a missing file and a file that is not JSON are problems, not crashes, and quote no content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'htm-options-'));
    await writeFile(join(dir, 'broken.json'), `{"access_token": "${token}",\n`);

    const missing = await loadOptions(join(dir, 'nope.json'));
    const broken = await loadOptions(join(dir, 'broken.json'));

    expect(missing.ok || missing.problems[0]).toMatch(/nope\.json was not found/);
    expect(broken.ok || broken.problems[0]).toMatch(/is not valid JSON near line 2/);
    expect(JSON.stringify(broken)).not.toContain(token);
  });
});
