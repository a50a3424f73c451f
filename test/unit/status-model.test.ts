import { expect, test } from 'vitest';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock, jwt } from '../support/fakes.js';

test('keeps a bounded ring of events, newest first', () => {
  const status = new StatusModel(new FakeClock(), 3);

  for (let i = 1; i <= 5; i++) status.event('info', 'test', `event ${i}`);

  expect(status.snapshot().events.map((e) => e.message)).toEqual(['event 5', 'event 4', 'event 3']);
});

test('records since when the state holds, and redacts token-shaped text in reasons and events', () => {
  const clock = new FakeClock();
  const status = new StatusModel(clock);
  const token = jwt();

  clock.advance(5000);
  status.setState('connected', `Connected with ${token}`);
  status.event('info', 'test', `saw ${token}`);

  const snapshot = status.snapshot();
  expect(snapshot.since).toBe('2026-11-23T12:00:05.000Z');
  expect(JSON.stringify(snapshot)).not.toContain(token);
});

test('a notice is listed once, stays until restart, and is recorded as a warning event', () => {
  const status = new StatusModel(new FakeClock());

  status.addNotice('rejected-tokens.json was damaged');
  status.addNotice('rejected-tokens.json was damaged');
  status.setState('connected', 'Connected.');

  const snapshot = status.snapshot();
  expect(snapshot.notices).toEqual(['rejected-tokens.json was damaged']);
  expect(snapshot.events).toEqual([
    expect.objectContaining({ level: 'warning', message: 'rejected-tokens.json was damaged' }),
  ]);
});
