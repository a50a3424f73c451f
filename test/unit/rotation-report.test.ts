import { describe, expect, test } from 'vitest';
import { Live } from '../../src/http/page/page.js';
import type { RotationRecord } from '../../src/rotation/record.js';
import { rotationInfo } from '../../src/rotation/report.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock } from '../support/fakes.js';

// What /api/status and the page's Rotation card show of the journal.

function record(
  clientName: string,
  state: RotationRecord['state'],
  replaced: string,
): RotationRecord {
  return {
    credential: 'addon',
    clientName,
    startedAt: '2026-11-23T11:00:00.000Z',
    updatedAt: '2026-11-23T11:00:00.000Z',
    replaced: { refreshTokenId: replaced, masked: `••••${replaced.slice(0, 4)}` },
    minted: { refreshTokenId: `${clientName}-new`, masked: '••••NEW1' },
    state,
  };
}

const base = {
  available: true,
  unavailableReason: undefined,
  graceMinutes: 15,
  running: false,
  step: undefined,
};

describe('rotation report', () => {
  test('pending revocations come from revoking records, never the token in use', () => {
    const info = rotationInfo({
      ...base,
      records: [
        record('a', { kind: 'revoking', dueAt: '2026-11-23T12:15:00.000Z' }, 'old1'),
        record('b', { kind: 'revoking', dueAt: '2026-11-23T12:16:00.000Z' }, 'live'),
      ],
      waiting: new Map([['b', 'Waiting for the add-on to stop using ••••live.']]),
      inUse: 'live',
      problems: [],
    });
    expect(info.pending).toEqual([{ masked: '••••old1', dueAt: '2026-11-23T12:15:00.000Z' }]);
    expect(info.journal.map((j) => [j.clientName, j.state, j.dueAt, j.waitingFor])).toEqual([
      ['a', 'revoking', '2026-11-23T12:15:00.000Z', undefined],
      [
        'b',
        'revoking',
        '2026-11-23T12:16:00.000Z',
        'Waiting for the add-on to stop using ••••live.',
      ],
    ]);
  });

  test('the page shows the newest record, earlier unfinished ones, pending revocations and a damaged journal', async () => {
    const clock = new FakeClock();
    const status = new StatusModel(clock);
    status.updateRotation(
      rotationInfo({
        ...base,
        records: [
          record('HA Token Manager one', { kind: 'minted' }, 'old0'),
          record(
            'HA Token Manager two',
            { kind: 'revoking', dueAt: '2026-11-23T12:15:00.000Z' },
            'old1',
          ),
        ],
        waiting: new Map([
          ['HA Token Manager one', 'Waiting for SSM, to see whether it holds the new token.'],
        ]),
        inUse: 'HA Token Manager two-new',
        problems: [
          '/data/rotation-journal.jsonl is damaged (line 3 unreadable; a copy is kept as x).',
        ],
      }),
    );
    const html = String(await Live({ s: status.snapshot(), now: clock.now() }));

    expect(html).toContain('revoking');
    expect(html).toContain(
      'HA Token Manager one: minted: Waiting for SSM, to see whether it holds the new token.',
    );
    expect(html).toContain('••••old1');
    expect(html).toContain('is damaged (line 3 unreadable');
  });
});
