import type { FC } from 'hono/jsx';
import type { ConsumerInfo, StatusSnapshot } from '../../status/status-model.js';
import { ago } from './format.js';

// The consumers table (docs/rotation.md, "Consumers"): one row per consumer
// token, with Rotate now and Revoke (confirmed, POST). On a phone each row
// becomes a small block, so 20 consumers stay readable without sideways
// scrolling. Its styles and script are its own, appended by page.tsx.

const STATE_CLASS: Record<ConsumerInfo['state'], string> = {
  ok: 'ok',
  expiring: 'warn',
  unused: 'warn',
  rejected: 'bad',
  'missing parameter': 'warn',
  failing: 'bad',
  'not configured': 'idle',
  unknown: 'idle',
};

const Row: FC<{ c: ConsumerInfo; now: number }> = ({ c, now }) => (
  <tr id={`consumer-${c.name}`}>
    <th scope="row" data-label="Consumer">
      {c.name}
      <div class="muted consumer-parameter">
        <code>{c.parameter}</code>
      </div>
    </th>
    <td data-label="Token">
      {c.masked ? (
        <>
          <code>{c.masked}</code> <span class="muted">{c.fingerprint}</span>
        </>
      ) : (
        '—'
      )}
      {c.origin && c.origin !== 'minted' && <div class="muted">{c.origin}</div>}
    </td>
    <td data-label="Issued">{ago(c.issuedAt, now)}</td>
    <td data-label="Expires">{ago(c.expiresAt, now)}</td>
    <td data-label="Next rotation">{c.configured ? ago(c.nextRotationAt, now) : '—'}</td>
    <td data-label="Last used">
      {c.lastUsedAt ? (
        ago(c.lastUsedAt, now)
      ) : (
        <span
          class="muted"
          title="Home Assistant records when a long-lived token was created, not when it is used"
        >
          not recorded
        </span>
      )}
      {c.lastUsedIp && <div class="muted">from {c.lastUsedIp}</div>}
      {c.newAddress && <div class="consumer-new">new address</div>}
    </td>
    <td data-label="State">
      <span class={`consumer-state consumer-${STATE_CLASS[c.state]}`}>
        {c.rotating ? 'rotating…' : c.state}
      </span>
      {/* "ok" needs no words; anything else says why and what to do. */}
      {(c.state !== 'ok' || c.waitingFor) && (
        <div class="consumer-reason">{c.waitingFor ?? c.reason}</div>
      )}
    </td>
    <td data-label="Actions" class="consumer-actions">
      {c.configured && (
        <button
          type="button"
          data-consumer={c.name}
          data-consumer-action="rotate"
          data-confirm={`Rotate the token of ${c.name} now? The old token keeps working for the grace period, then it is revoked.`}
        >
          Rotate now
        </button>
      )}
      {c.masked && c.origin !== 'foreign' && (
        <button
          type="button"
          class="danger"
          data-consumer={c.name}
          data-consumer-action="revoke"
          data-confirm={
            c.configured
              ? `Revoke the token of ${c.name} now? Whatever uses it stops working at once; the add-on publishes a new one.`
              : `Revoke the token of ${c.name}? Whatever still uses it stops working at once.`
          }
        >
          Revoke
        </button>
      )}
    </td>
  </tr>
);

export const ConsumersCard: FC<{ s: StatusSnapshot; now: number }> = ({ s, now }) => {
  if (s.consumers.length === 0) return null;
  const attention = s.consumers.filter((c) => c.state !== 'ok').length;
  return (
    <>
      <section id="consumers" data-live class="card consumers" aria-labelledby="consumers-title">
        <h2 id="consumers-title">
          Consumers{' '}
          <span class="muted">
            {s.consumers.length} token{s.consumers.length === 1 ? '' : 's'}
            {attention > 0 ? `, ${attention} need${attention === 1 ? 's' : ''} attention` : ''}
          </span>
        </h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Consumer</th>
              <th scope="col">Token</th>
              <th scope="col">Issued</th>
              <th scope="col">Expires</th>
              <th scope="col">Next rotation</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {s.consumers.map((c) => (
              <Row c={c} now={now} />
            ))}
          </tbody>
        </table>
      </section>
      {/* Outside the live section: a live update does not wipe the answer. */}
      <p id="consumer-result" class="consumers" role="status" aria-live="polite"></p>
    </>
  );
};

export const CONSUMER_STYLES = `
.consumers { grid-column: 1 / -1; }
#consumer-result:empty { display: none; }
.consumers table { width: 100%; border-collapse: collapse; }
.consumers th, .consumers td { text-align: left; vertical-align: top; padding: 8px 6px; border-top: 1px solid var(--line); overflow-wrap: anywhere; }
.consumers thead th { color: var(--muted); font-weight: 500; border-top: 0; overflow-wrap: normal; }
.consumer-parameter { font-weight: 400; }
.consumer-state { font-weight: 500; white-space: nowrap; }
.consumer-ok { color: var(--ok); } .consumer-warn { color: var(--warn); } .consumer-bad { color: var(--bad); } .consumer-idle { color: var(--idle); }
.consumer-reason { color: var(--muted); font-size: 13px; }
.consumer-new { color: var(--warn); font-weight: 500; }
.consumer-actions { white-space: nowrap; }
.consumer-actions button { padding: 4px 10px; min-height: 32px; margin: 2px 0; }
.consumer-actions button + button { margin-left: 8px; }
button.danger { background: var(--bad); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 720px) {
  .consumers thead { display: none; }
  .consumers tr { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 2px 12px; padding: 8px 0; border-top: 1px solid var(--line); }
  .consumers th, .consumers td { border: 0; padding: 2px 0; }
  .consumers th[scope=row] { grid-column: 1 / 3; } .consumers td[data-label=State] { grid-column: 3; grid-row: 1; }
  .consumers td[data-label=Token], .consumers td[data-label=Actions] { grid-column: span 3; }
  .consumers td[data-label=Issued] { display: none; }
  .consumers td[data-label]:not([data-label=State]):not([data-label=Actions])::before { content: attr(data-label); display: block; color: var(--muted); font-size: 12px; }
}
`;

/** Delegated, because the table is replaced by live updates. */
export const CONSUMER_SCRIPT = `
(() => {
  const result = () => document.getElementById('consumer-result');
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-consumer-action]') : null;
    if (!button || button.disabled) return;
    if (!window.confirm(button.dataset.confirm)) return;
    const name = button.dataset.consumer;
    const action = button.dataset.consumerAction;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    result().className = '';
    result().textContent = (action === 'rotate' ? 'Rotating ' : 'Revoking ') + name + '…';
    try {
      const response = await fetch('api/consumers/' + encodeURIComponent(name) + '/' + action, { method: 'POST', credentials: 'same-origin' });
      const outcome = await response.json();
      result().className = outcome.ok ? 'result-ok' : 'result-failed';
      result().textContent = (outcome.ok ? 'Done: ' : 'Failed: ') + outcome.message;
    } catch {
      result().className = 'result-failed';
      result().textContent = 'Failed: the add-on did not answer.';
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
})();
`;
