import { describe, expect, test } from 'vitest';
import { HistoryRecorder } from '../../src/alerts/history.js';
import { iamPolicy } from '../../src/http/page/iam-policy.js';
import { renderPartial } from '../../src/http/page/render.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock } from '../support/fakes.js';

const VIEW = {
  unreadableAfterMs: 60_000,
  expiryWarningMs: 14 * 86_400_000,
  unsettledAfterMs: 900_000,
};

describe('page extras', () => {
  test('"Last error" is shown as resolved once the connection is back', () => {
    const clock = new FakeClock();
    const status = new StatusModel(clock);
    const error = {
      url: 'http://ha',
      lastError: 'Connection refused',
      lastErrorAt: new Date(clock.now()).toISOString(),
    };
    status.updateConnection({ ...error, connected: false });
    expect(renderPartial(status.snapshot(), clock.now())).not.toContain(
      'Resolved: Connection refused',
    );
    status.updateConnection({ ...error, connected: true });
    expect(renderPartial(status.snapshot(), clock.now())).toContain('Resolved: Connection refused');
  });

  test('the IAM policy names the parameter ARN (a name with the region and an account placeholder; an ARN as given)', () => {
    const read = JSON.parse(iamPolicy({ parameter: '/ha/token', region: 'eu-west-1' }, false));
    expect(read.Statement).toEqual([
      expect.objectContaining({
        Action: 'ssm:GetParameter',
        Resource: 'arn:aws:ssm:eu-west-1:<your-account-id>:parameter/ha/token',
      }),
    ]);
    const arn = 'arn:aws:ssm:us-east-2:123456789012:parameter/x/y';
    const rotate = JSON.parse(iamPolicy({ parameter: arn, region: 'us-east-2' }, true));
    expect(rotate.Statement[0]).toMatchObject({
      Action: ['ssm:GetParameter', 'ssm:PutParameter'],
      Resource: arn,
    });
    expect(rotate.Statement[1]).toMatchObject({ Action: 'ssm:DescribeParameters', Resource: '*' });
  });

  test('the history keeps a point per state change, 24 h back, and draws it as inline SVG', () => {
    const clock = new FakeClock();
    const status = new StatusModel(clock);
    const history = new HistoryRecorder(clock, VIEW);
    history.watch(status);
    status.updateToken({
      source: 'options',
      sourceDescription: 'the access_token option',
      masked: '••••abcd',
    });
    status.setState('connected', 'ok');
    clock.advance(3_600_000);
    status.setState('unauthorized', 'rejected');
    status.event('info', 'x', 'no change of state');
    expect(history.tracks()[0]?.points.map((p) => p.state)).toEqual(['unknown', 'ok', 'rejected']);
    clock.advance(25 * 3_600_000);
    status.setState('connected', 'ok');
    expect(history.tracks()[0]?.points.map((p) => p.state)).toEqual(['rejected', 'ok']);
    const html = renderPartial(status.snapshot(), clock.now(), { history: () => history.tracks() });
    expect(html).toMatch(/<svg[^>]*role="img"/);
    expect(html).toContain('class="bar-bad"');
    expect(html).not.toMatch(/https?:\/\//);
  });
});
