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
