import cronstrue from 'cronstrue';
import type { StatusSnapshot } from '../../status/status-model.js';

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "2 minutes ago", "in 3 minutes", "now". */
export function ago(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const diff = Date.parse(iso) - now;
  if (Math.abs(diff) < 5000) return 'just now';
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'second')
      return relative.format(Math.round(diff / ms), unit);
  }
  return iso;
}

/** "3 days", "5 minutes": how long ago, without the "ago". */
export function age(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const diff = Math.max(0, now - Date.parse(iso));
  for (const [unit, ms] of UNITS) {
    if (diff >= ms || unit === 'second') {
      const n = Math.floor(diff / ms);
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return '—';
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The cron expression in words: "Every 5 minutes". */
export function cronInWords(expression: string): string {
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return expression;
  }
}

const STATE_WORDS: Record<StatusSnapshot['state'], string> = {
  starting: 'Starting',
  misconfigured: 'Options need fixing',
  connecting: 'Connecting',
  connected: 'Connected',
  degraded: 'Working, with a problem',
  unauthorized: 'Token rejected',
  disconnected: 'Not connected',
};

export function stateWords(state: StatusSnapshot['state']): string {
  return STATE_WORDS[state];
}

/**
 * The one sentence at the top of the page, e.g. "Connected to Home Assistant
 * 2024.3.3 with the token from SSM parameter /ha/token (version 7), validated
 * 2 minutes ago."
 */
export function headline(s: StatusSnapshot, now: number): string {
  const token = s.token;
  const from = token
    ? `the token from ${token.sourceDescription}${token.version === undefined ? '' : ` (version ${token.version})`}`
    : 'its token';
  switch (s.state) {
    case 'connected':
    case 'degraded': {
      const validated = token?.validatedAt ? `, validated ${ago(token.validatedAt, now)}` : '';
      const base = `Connected to Home Assistant ${s.connection?.haVersion ?? ''} with ${from}${validated}.`;
      return s.state === 'degraded' ? `${base} ${degradedNote(s, now)}` : base;
    }
    case 'misconfigured':
      return `The add-on's options need fixing (${s.problems.length} problem${s.problems.length === 1 ? '' : 's'} below); no token is managed until then.`;
    default:
      return s.reason;
  }
}

function degradedNote(s: StatusSnapshot, now: number): string {
  const since = s.degradedSince ? ` since ${ago(s.degradedSince, now)}` : '';
  return `Using a fallback${since}: ${s.token?.lastError ?? s.reason}`;
}
