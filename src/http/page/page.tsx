import type { FC } from 'hono/jsx';
import type { StatusSnapshot } from '../../status/status-model.js';
import { ConnectionCard, EventsCard, SchedulesCard, TokenCard } from './cards.js';
import { CLIENT_SCRIPT } from './client.js';
import { CONSUMER_SCRIPT, CONSUMER_STYLES, ConsumersCard } from './consumers.js';
import { HelpCard, HistoryCard, type PageExtras } from './extras.js';
import { ago, headline, stateWords } from './format.js';
import { RotationCard } from './rotation-card.js';
import { STYLES } from './styles.js';

interface Props {
  s: StatusSnapshot;
  now: number;
  extras?: PageExtras;
}

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
