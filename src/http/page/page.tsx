import type { FC } from 'hono/jsx';
import type { ScheduleInfo, StatusSnapshot } from '../../status/status-model.js';
import { CLIENT_SCRIPT } from './client.js';
import { CONSUMER_SCRIPT, CONSUMER_STYLES, ConsumersCard } from './consumers.js';
import { HelpCard, HistoryCard, type PageExtras } from './extras.js';
import { age, ago, cronInWords, duration, headline, stateWords } from './format.js';
import { STYLES } from './styles.js';

interface Props {
  s: StatusSnapshot;
  now: number;
  extras?: PageExtras;
}

const Field: FC<{ label: string; children?: unknown }> = ({ label, children }) => (
  <>
    <dt>{label}</dt>
    <dd>
      {children === undefined || children === null || children === false || children === ''
        ? '—'
        : children}
    </dd>
  </>
);

/** What the user should do, in words, for the states that need something. */
const Fix: FC<Props> = ({ s }) => {
  if (s.state === 'misconfigured') {
    return (
      <ul class="problems" aria-label="Options to fix">
        {s.problems.map((p) => {
          const [name, ...rest] = p.split(': ');
          return rest.length > 0 && /^[a-z_]+$/.test(name ?? '') ? (
            <li>
              <code>{name}</code>: {rest.join(': ')}
            </li>
          ) : (
            <li>{p}</li>
          );
        })}
      </ul>
    );
  }
  if (s.state === 'unauthorized' || s.state === 'disconnected' || s.state === 'degraded') {
    return (
      <p class="fix">{s.state === 'degraded' ? (s.token?.lastError ?? s.reason) : s.reason}</p>
    );
  }
  return null;
};

export const Overall: FC<Props> = ({ s, now }) => (
  <section id="overall" data-live class="card overall" aria-labelledby="overall-title">
    <h2 id="overall-title">
      Status: <span class={`badge state-${s.state}`}>{stateWords(s.state)}</span>
    </h2>
    <p class="headline" role="status" aria-live="polite">
      {headline(s, now)}
    </p>
    <Fix s={s} now={now} />
    {s.notices.length > 0 && (
      <ul class="notices" aria-label="Notices">
        {s.notices.map((n) => (
          <li>{n}</li>
        ))}
      </ul>
    )}
    <p class="muted">
      In this state since {ago(s.since, now)}
      {s.degradedSince ? `; on a fallback since ${ago(s.degradedSince, now)}` : ''}.
    </p>
  </section>
);

const TokenCard: FC<Props> = ({ s, now }) => {
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

const ConnectionCard: FC<Props> = ({ s, now }) => {
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

const SchedulesCard: FC<Props> = ({ s, now }) => (
  <section id="schedules" data-live class="card" aria-labelledby="schedules-title">
    <h2 id="schedules-title">Schedules</h2>
    {s.schedules.length > 0 ? (
      s.schedules.map((j) => <Schedule j={j} now={now} />)
    ) : (
      <p class="muted">No schedules are running.</p>
    )}
  </section>
);

const FINISHED = ['done', 'rolled-back', 'abandoned'];

/** A journal state as the result colours: finished well, finished badly, or under way. */
function resultOf(state: string): string {
  if (state === 'done' || state === 'revoking') return 'ok';
  if (state === 'rolled-back' || state === 'abandoned') return 'failed';
  return 'running';
}

const RotationCard: FC<Props> = ({ s, now }) => {
  const r = s.rotation;
  if (!r) return null;
  const schedule = s.schedules.find((j) => j.name === 'rotation');
  // The journal (docs/rotation.md): the newest record is the last rotation.
  const last = r.journal.at(-1);
  const unfinished = r.journal.filter((j) => j !== last && !FINISHED.includes(j.state));
  return (
    <section id="rotation" data-live class="card" aria-labelledby="rotation-title">
      <h2 id="rotation-title">Rotation</h2>
      {r.available ? (
        <dl>
          <Field label="Schedule">
            {schedule ? cronInWords(schedule.expression) : 'off (Rotate now still works)'}
          </Field>
          <Field label="Running">{r.running ? `yes: ${r.step ?? ''}` : 'no'}</Field>
          <Field label="Last rotation">{last && ago(last.startedAt, now)}</Field>
          <Field label="State">
            {last && (
              <span class={`result-${resultOf(last.state)}`}>
                {`${last.state}: ${last.waitingFor ?? last.note ?? ''}`}
              </span>
            )}
          </Field>
          {schedule && (
            <Field label="Next rotation">
              {schedule.nextRunAt && ago(schedule.nextRunAt, now)}
            </Field>
          )}
          <Field label="Grace period">{`${r.graceMinutes} minutes`}</Field>
          <Field label="Pending revocations">
            {r.pending.length > 0 && (
              <ul class="problems">
                {r.pending.map((p) => (
                  <li>
                    <code>{p.masked}</code> {ago(p.dueAt, now)}
                  </li>
                ))}
              </ul>
            )}
          </Field>
          {unfinished.length > 0 && (
            <Field label="Earlier rotations">
              <ul class="problems">
                {unfinished.map((j) => (
                  <li>{`${j.clientName}: ${j.state}: ${j.waitingFor ?? j.note ?? ''}`}</li>
                ))}
              </ul>
            </Field>
          )}
          {r.problems.length > 0 && (
            <Field label="Journal problems">
              <ul class="problems">
                {r.problems.map((p) => (
                  <li>{p}</li>
                ))}
              </ul>
            </Field>
          )}
        </dl>
      ) : (
        <p class="muted">{r.unavailableReason}</p>
      )}
    </section>
  );
};

const EventsCard: FC<Props> = ({ s, now }) => (
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

const Cards: FC<Props> = (p) => (
  <>
    <ConsumersCard {...p} />
    <TokenCard {...p} />
    <ConnectionCard {...p} />
    <SchedulesCard {...p} />
    <RotationCard {...p} />
    <HistoryCard extras={p.extras ?? {}} now={p.now} />
    <EventsCard {...p} />
  </>
);

/** The parts that update live; the page fetches them again from ./partial. */
export const Live: FC<Props> = (p) => (
  <>
    <Overall {...p} />
    <Cards {...p} />
  </>
);

export const Page: FC<Props & { nonce: string; base?: string }> = ({ nonce, base, ...p }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      {base && <base href={base} />}
      <title>HA Token Manager</title>
      {/* No favicon request: it would leave the ingress prefix. */}
      <link rel="icon" href="data:," />
      <style nonce={nonce} dangerouslySetInnerHTML={{ __html: STYLES + CONSUMER_STYLES }} />
    </head>
    <body>
      <header id="app-header">
        <h1>HA Token Manager</h1>
      </header>
      <main>
        <p id="offline" class="offline" role="alert" hidden>
          The add-on is not answering — reconnecting…
        </p>
        <Overall {...p} />
        <section class="card overall" aria-label="Actions">
          <div class="actions">
            <button id="refresh" type="button" data-action="refresh" data-progress="Refreshing…">
              Refresh now
            </button>
            {p.s.rotation?.available && (
              <button
                id="rotate"
                type="button"
                data-action="rotate"
                data-progress="Rotating…"
                data-confirm="Rotate the token now? A new token goes into SSM; the one in use now is revoked after the grace period."
              >
                Rotate now
              </button>
            )}
            <span id="action-result" role="status" aria-live="polite"></span>
          </div>
        </section>
        <Cards {...p} />
        <HelpCard extras={p.extras ?? {}} />
      </main>
      <script nonce={nonce} dangerouslySetInnerHTML={{ __html: CLIENT_SCRIPT + CONSUMER_SCRIPT }} />
    </body>
  </html>
);
