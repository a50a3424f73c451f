import { readFileSync } from 'node:fs';
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
    const policy = (i: Parameters<typeof iamPolicy>[0]) => JSON.parse(iamPolicy(i) ?? 'null');
    const named = policy({ parameter: '/ha/token', region: 'eu-west-1', consumers: [] });
    expect(named.Statement[0].Resource).toBe(
      'arn:aws:ssm:eu-west-1:<your-account-id>:parameter/ha/token',
    );
    const arn = 'arn:aws:ssm:us-east-2:123456789012:parameter/x/y';
    expect(
      policy({ parameter: arn, region: 'us-east-2', consumers: [] }).Statement[0].Resource,
    ).toBe(arn);
  });

  test('the IAM policy allows PutParameter on the add-on parameter without a rotation schedule (Rotate now is offered)', () => {
    const policy = JSON.parse(
      iamPolicy({ parameter: '/ha/token', region: 'eu-west-1', consumers: [] }) ?? 'null',
    );
    expect(policy.Statement).toEqual([
      {
        Sid: 'ReadAndReplaceTheHomeAssistantToken',
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:PutParameter'],
        Resource: 'arn:aws:ssm:eu-west-1:<your-account-id>:parameter/ha/token',
      },
      {
        Sid: 'FindTheParametersKey',
        Effect: 'Allow',
        Action: 'ssm:DescribeParameters',
        Resource: '*',
      },
    ]);
  });

  test('the IAM policy covers the consumers’ parameters with the calls parameters.ts makes, also with token_source options', () => {
    const policy = JSON.parse(
      iamPolicy({ region: 'eu-west-1', consumers: ['/c/alexa', 'c/grafana'] }) ?? 'null',
    );
    expect(policy.Statement).toEqual([
      {
        Sid: 'ManageConsumerTokens',
        Effect: 'Allow',
        Action: [
          'ssm:GetParameter',
          'ssm:GetParameters',
          'ssm:PutParameter',
          'ssm:AddTagsToResource',
        ],
        Resource: [
          'arn:aws:ssm:eu-west-1:<your-account-id>:parameter/c/alexa',
          'arn:aws:ssm:eu-west-1:<your-account-id>:parameter/c/grafana',
        ],
      },
      {
        Sid: 'FindTheParametersKey',
        Effect: 'Allow',
        Action: 'ssm:DescribeParameters',
        Resource: '*',
      },
    ]);
    expect(iamPolicy({ region: 'eu-west-1', consumers: [] })).toBeUndefined();
  });

  test('the IAM policy grants the configured KMS key (by ARN; a bare id or alias gets the account placeholder) instead of DescribeParameters', () => {
    const statements = (kmsKeyId: string) =>
      JSON.parse(
        iamPolicy({ parameter: '/ha/token', region: 'eu-west-1', consumers: [], kmsKeyId }) ??
          'null',
      ).Statement;
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(statements(keyArn)[1]).toEqual({
      Sid: 'UseTheParametersKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: keyArn,
      Condition: {
        StringEquals: {
          'kms:EncryptionContext:PARAMETER_ARN':
            'arn:aws:ssm:eu-west-1:<your-account-id>:parameter/ha/token',
        },
      },
    });
    expect(statements(keyArn)).toHaveLength(2);
    expect(statements('1234abcd')[1].Resource).toBe(
      'arn:aws:kms:eu-west-1:<your-account-id>:key/1234abcd',
    );
    expect(statements('alias/ha')[1].Resource).toBe(
      'arn:aws:kms:eu-west-1:<your-account-id>:key/<the key id behind alias/ha>',
    );
  });

  test("DOCS.md's IAM examples are exactly what the page shows for those options", () => {
    const docs = readFileSync(new URL('../../DOCS.md', import.meta.url), 'utf8');
    /** The first JSON block after `heading`, as an object. */
    const example = (heading: string) => {
      const at = docs.indexOf(heading);
      expect(at).toBeGreaterThan(-1);
      const block = /```json\n([\s\S]*?)```/.exec(docs.slice(at))?.[1];
      return JSON.parse(block ?? 'null');
    };
    const page = (i: Parameters<typeof iamPolicy>[0]) =>
      JSON.parse((iamPolicy(i) ?? 'null').replaceAll('<your-account-id>', '123456789012'));
    const region = 'eu-west-1';
    const parameter = '/home-assistant/token';
    expect(example('**Read and rotate** the token')).toEqual(
      page({ region, parameter, consumers: [] }),
    );
    expect(example('**Read and rotate**, customer managed key')).toEqual(
      page({
        region,
        parameter,
        consumers: [],
        kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
    );
    expect(example('### IAM policy for consumers')).toEqual(
      page({
        region,
        consumers: ['/home-assistant/consumers/alexa', '/home-assistant/consumers/grafana'],
      }),
    );
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
