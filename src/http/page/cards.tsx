import type { FC } from 'hono/jsx';
import type { ScheduleInfo, StatusSnapshot } from '../../status/status-model.js';
import { age, ago, cronInWords, duration } from './format.js';

// The page's cards for the add-on's own token: what it is, the connection
// that uses it, the schedules, and the recent events.

export interface CardProps {
  s: StatusSnapshot;
  now: number;
}

export const Field: FC<{ label: string; children?: unknown }> = ({ label, children }) => (
  <>
    <dt>{label}</dt>
    <dd>
      {children === undefined || children === null || children === false || children === ''
        ? '—'
        : children}
    </dd>
  </>
);

export const TokenCard: FC<CardProps> = ({ s, now }) => {
  const t = s.token;
  return (
    <section id="token" data-live class="card" aria-labelledby="token-title">
      <h2 id="token-title">Token</h2>
      {t ? (
        <dl>
          <Field label="Source">{t.sourceDescription}</Field>
          {t.version !== undefined && <Field label="Version">{String(t.version)}</Field>}
          <Field label="Token">{t.masked && <code>{t.masked}</code>}</Field>
          <Field label="Fingerprint">{t.fingerprint && <code>{t.fingerprint}</code>}</Field>
          <Field label="Age">
            {t.issuedAt && `${age(t.issuedAt, now)} (issued ${t.issuedAt.slice(0, 10)})`}
          </Field>
          {t.expiresAt && <Field label="Expires">{ago(t.expiresAt, now)}</Field>}
          <Field label="Last validated">{t.validatedAt && ago(t.validatedAt, now)}</Field>
          {t.fallback && <Field label="Fallback in use">{t.fallback}</Field>}
          {t.lastError && <Field label="Last problem">{t.lastError}</Field>}
        </dl>
      ) : (
        <p class="muted">No token is configured.</p>
      )}
    </section>
  );
};

export const ConnectionCard: FC<CardProps> = ({ s, now }) => {
  const c = s.connection;
  return (
    <section id="connection" data-live class="card" aria-labelledby="connection-title">
      <h2 id="connection-title">Connection</h2>
      {c ? (
        <dl>
          <Field label="Home Assistant">{c.url}</Field>
          <Field label="Version">{c.haVersion}</Field>
          <Field label="Connected">
            {c.connected ? `yes, since ${ago(c.connectedSince, now)}` : 'no'}
          </Field>
          <Field label="Reconnects">{String(c.reconnects)}</Field>
          <Field label="Ping round trip">{c.pingRttMs !== undefined && `${c.pingRttMs} ms`}</Field>
          {!c.connected && c.nextAttemptAt && (
            <Field label="Next attempt">{ago(c.nextAttemptAt, now)}</Field>
          )}
          <Field label="Last error">
            {c.lastError &&
              (c.connected ? (
                <span class="resolved">{`Resolved: ${c.lastError} (${ago(c.lastErrorAt, now)})`}</span>
              ) : (
                `${c.lastError} (${ago(c.lastErrorAt, now)})`
              ))}
          </Field>
        </dl>
      ) : (
        <p class="muted">Not connecting: fix the options first.</p>
      )}
    </section>
  );
};

const Schedule: FC<{ j: ScheduleInfo; now: number }> = ({ j, now }) => (
  <dl>
    <Field label="Job">{j.name}</Field>
    <Field label="Schedule">
      {cronInWords(j.expression)} (<code>{j.expression}</code>)
    </Field>
    <Field label="Last run">{j.lastRunAt && ago(j.lastRunAt, now)}</Field>
    <Field label="Result">
      {j.lastResult && (
        <span class={`result-${j.lastResult}`}>{`${j.lastResult}: ${j.lastMessage ?? ''}`}</span>
      )}
    </Field>
    <Field label="Duration">{j.lastDurationMs !== undefined && duration(j.lastDurationMs)}</Field>
    <Field label="Next run">{j.nextRunAt && ago(j.nextRunAt, now)}</Field>
  </dl>
);

export const SchedulesCard: FC<CardProps> = ({ s, now }) => (
  <section id="schedules" data-live class="card" aria-labelledby="schedules-title">
    <h2 id="schedules-title">Schedules</h2>
    {s.schedules.length > 0 ? (
      s.schedules.map((j) => <Schedule j={j} now={now} />)
    ) : (
      <p class="muted">No schedules are running.</p>
    )}
  </section>
);

export const EventsCard: FC<CardProps> = ({ s, now }) => (
  <section id="events" data-live class="card" aria-labelledby="events-title">
    <h2 id="events-title">Recent events</h2>
    {s.events.length > 0 ? (
      <ul class="events">
        {s.events.slice(0, 20).map((e) => (
          <li class={`level-${e.level}`}>
            <time datetime={e.at}>{ago(e.at, now)}</time> · {e.message}
          </li>
        ))}
      </ul>
    ) : (
      <p class="muted">Nothing has happened yet.</p>
    )}
  </section>
);
