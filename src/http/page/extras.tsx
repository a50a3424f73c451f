import type { FC } from 'hono/jsx';
import type { CredentialHistory } from '../../alerts/history.js';

// Cards beside the status: the 24-hour history per credential (inline SVG, no
// assets), where users manage their own tokens in Home Assistant, and the IAM
// policy to copy.

export interface PageExtras {
  history?: () => CredentialHistory[];
  /** The IAM policy for the configured parameter (source ssm only). */
  iamPolicy?: string;
  /** Whether alerts reach Home Assistant, in words. */
  alerts?: string;
}

const DAY_MS = 24 * 3_600_000;
const WIDTH = 288;

function colourOf(state: string): string {
  if (state === 'ok') return 'ok';
  if (state === 'unknown') return 'idle';
  if (state === 'expiring' || state === 'unused') return 'warn';
  return 'bad';
}

/** One bar per credential: a segment per state over the last 24 h, the newest on the right. */
const Track: FC<{ h: CredentialHistory; now: number }> = ({ h, now }) => {
  const start = now - DAY_MS;
  const x = (at: number) => ((Math.max(at, start) - start) / DAY_MS) * WIDTH;
  const segments = h.points.map((p, i) => ({
    from: x(p.at),
    to: x(h.points[i + 1]?.at ?? now),
    state: p.state,
  }));
  const summary = h.points.map((p) => `${p.state} from ${new Date(p.at).toISOString()}`).join('; ');
  return (
    <figure class="history">
      <figcaption>{h.name}</figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} 12`}
        width="100%"
        height="12"
        preserveAspectRatio="none"
        role="img"
        aria-label={`${h.name}, last 24 hours: ${summary}`}
      >
        {segments
          .filter((s) => s.to > s.from)
          .map((s) => (
            <rect
              x={s.from.toFixed(1)}
              y="0"
              width={(s.to - s.from).toFixed(1)}
              height="12"
              class={`bar-${colourOf(s.state)}`}
            >
              <title>{s.state}</title>
            </rect>
          ))}
      </svg>
      <div class="axis muted">
        <span>24 h ago</span>
        <span>now</span>
      </div>
    </figure>
  );
};

export const HistoryCard: FC<{ extras: PageExtras; now: number }> = ({ extras, now }) => {
  const tracks = extras.history?.() ?? [];
  if (tracks.length === 0) return null;
  return (
    <section id="history" data-live class="card" aria-labelledby="history-title">
      <h2 id="history-title">Last 24 hours</h2>
      {tracks.map((h) => (
        <Track h={h} now={now} />
      ))}
      {extras.alerts && <p class="muted">{extras.alerts}</p>}
    </section>
  );
};

export const HelpCard: FC<{ extras: PageExtras }> = ({ extras }) => (
  <section id="help" class="card" aria-labelledby="help-title">
    <h2 id="help-title">Tokens and permissions</h2>
    <p>
      Your own long-lived tokens are on your{' '}
      <a href="/profile/security" target="_top">
        Security page
      </a>{' '}
      in Home Assistant.
    </p>
    {extras.iamPolicy && (
      <>
        <p>IAM policy for the configured parameter:</p>
        <pre id="iam-policy" class="policy">
          <code>{extras.iamPolicy}</code>
        </pre>
        <button type="button" class="secondary" data-copy="iam-policy">
          Copy policy
        </button>
      </>
    )}
  </section>
);
