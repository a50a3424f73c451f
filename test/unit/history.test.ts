import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { HISTORY_FILE, HistoryRecorder } from '../../src/alerts/history.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock } from '../support/fakes.js';

const VIEW = {
  unreadableAfterMs: 60_000,
  expiryWarningMs: 14 * 86_400_000,
  unsettledAfterMs: 900_000,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'htm-history-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function healthy(status: StatusModel): void {
  status.updateToken({ source: 'options', sourceDescription: 'the option', masked: '••••abcd' });
  status.setState('connected', 'ok');
}

describe('the state history across a restart of the add-on', () => {
  test('is kept in history.json (owner-only, no token) and read back; points older than 24 h are dropped', async () => {
    const clock = new FakeClock();
    const status = new StatusModel(clock);
    const before = new HistoryRecorder(clock, VIEW, dir);
    await before.load();
    before.watch(status);
    healthy(status);
    clock.advance(3_600_000);
    status.setState('unauthorized', 'rejected');
    await before.stop();

    const file = join(dir, HISTORY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('abcd');

    clock.advance(2 * 3_600_000);
    const after = new HistoryRecorder(clock, VIEW, dir);
    await after.load();
    expect(after.tracks()[0]?.points.map((p) => p.state)).toEqual(['unknown', 'ok', 'rejected']);

    // 24 h later only the point that says what the state was at the window's start is left.
    clock.advance(24 * 3_600_000);
    const later = new HistoryRecorder(clock, VIEW, dir);
    await later.load();
    expect(later.tracks()[0]?.points.map((p) => p.state)).toEqual(['rejected']);
  });

  test('a damaged file is kept aside, said so, and the chart starts empty', async () => {
    await writeFile(join(dir, HISTORY_FILE), '{"version":1,"tracks":[{"id":"addon"', {
      mode: 0o600,
    });
    const history = new HistoryRecorder(new FakeClock(), VIEW, dir);
    const problem = await history.load();
    expect(problem).toMatch(/history\.json .*not valid JSON.*the state history starts empty/);
    expect(history.tracks()).toEqual([]);
    expect((await readdir(dir)).some((f) => f.startsWith(`${HISTORY_FILE}.damaged-`))).toBe(true);
  });

  test('a wrong shape (a state the add-on never writes) is refused the same way', async () => {
    const bad = {
      version: 1,
      tracks: [{ id: 'addon', name: 'x', points: [{ at: 1, state: 'on fire' }] }],
    };
    await writeFile(join(dir, HISTORY_FILE), JSON.stringify(bad), { mode: 0o600 });
    const problem = await new HistoryRecorder(new FakeClock(), VIEW, dir).load();
    expect(problem).toMatch(/a point without time or state/);
  });
});

describe('the chart and the problems that count only after a grace', () => {
  test("the add-on's unreadable source shows once it has lasted its grace, as its problem sensor does", () => {
    const clock = new FakeClock();
    const status = new StatusModel(clock);
    const history = new HistoryRecorder(clock, VIEW, undefined);
    healthy(status);
    history.watch(status);
    status.patchToken({ lastError: 'Access denied reading SSM parameter /t.' });
    status.setDegraded('On the fallback: access denied.');
    clock.advance(VIEW.unreadableAfterMs - 1);
    history.record(status);
    expect(history.tracks()[0]?.points.map((p) => p.state)).toEqual(['ok']);
    clock.advance(1);
    history.record(status);
    expect(history.tracks()[0]?.points.map((p) => p.state)).toEqual(['ok', 'unreadable']);
    history.stop();
  });
});
