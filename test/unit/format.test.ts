import { describe, expect, test } from 'vitest';
import { ago, cronInWords, headline } from '../../src/http/page/format.js';
import type { StatusSnapshot } from '../../src/status/status-model.js';

const now = Date.parse('2026-11-23T12:00:00Z');
const base: StatusSnapshot = {
  state: 'connected',
  reason: 'Connected.',
  since: '2026-11-23T11:00:00Z',
  startedAt: '2026-11-23T11:00:00Z',
  problems: [],
  notices: [],
  schedules: [],
  consumers: [],
  events: [],
};

describe('the page in words', () => {
  test('the headline names the HA version, the source, its version and when it was validated', () => {
    const s: StatusSnapshot = {
      ...base,
      connection: { url: 'http://ha', connected: true, reconnects: 0, haVersion: '2024.3.3' },
      token: {
        source: 'ssm',
        sourceDescription: 'SSM parameter /ha/token',
        version: 7,
        validatedAt: '2026-11-23T11:58:00Z',
      },
    };

    expect(headline(s, now)).toBe(
      'Connected to Home Assistant 2024.3.3 with the token from SSM parameter /ha/token (version 7), validated 2 minutes ago.',
    );
  });

  test('degraded says since when and why', () => {
    const s: StatusSnapshot = {
      ...base,
      state: 'degraded',
      degradedSince: '2026-11-23T11:55:00Z',
      token: {
        source: 'ssm',
        sourceDescription: 'SSM parameter /x',
        lastError: 'SSM could not be reached.',
      },
    };
    expect(headline(s, now)).toMatch(
      /Using a fallback since 5 minutes ago: SSM could not be reached\./,
    );
  });

  test('cron expressions read as words', () => {
    expect(cronInWords('*/5 * * * *')).toBe('Every 5 minutes');
    expect(cronInWords('not cron')).toBe('not cron');
  });

  test('relative times', () => {
    expect(ago('2026-11-23T11:59:58Z', now)).toBe('just now');
    expect(ago('2026-11-23T11:58:00Z', now)).toBe('2 minutes ago');
    expect(ago('2026-11-23T12:03:00Z', now)).toBe('in 3 minutes');
    expect(ago(undefined, now)).toBe('—');
  });
});
