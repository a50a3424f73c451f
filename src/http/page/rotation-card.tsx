import type { FC } from 'hono/jsx';
import { type CardProps, Field } from './cards.js';
import { ago, cronInWords } from './format.js';

// The rotation card: the schedule, the last rotation, what is still to revoke,
// and the journal's unfinished records and problems (docs/rotation.md).

const FINISHED = ['done', 'rolled-back', 'abandoned'];

/** A journal state as the result colours: finished well, finished badly, or under way. */
function resultOf(state: string): string {
  if (state === 'done' || state === 'revoking') return 'ok';
  if (state === 'rolled-back' || state === 'abandoned') return 'failed';
  return 'running';
}

export const RotationCard: FC<CardProps> = ({ s, now }) => {
  const r = s.rotation;
  if (!r) return null;
  const schedule = s.schedules.find((j) => j.name === 'rotation');
  // The journal (docs/rotation.md): the last rotation is the one started last
  // (a record moves to the end of the file whenever it is written).
  const last = r.journal.reduce<(typeof r.journal)[number] | undefined>(
    (best, j) =>
      best === undefined || Date.parse(j.startedAt) >= Date.parse(best.startedAt) ? j : best,
    undefined,
  );
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
