import type { SsmConfig } from '../../options.js';

// The IAM policy the page offers to copy, filled in with the configured
// parameter: the same policies as DOCS.md ("IAM policies"). A name becomes an
// ARN with the region and an account placeholder (the add-on cannot know the
// account without calling STS); an ARN is used as given.

const ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+$/;

export function iamPolicy(ssm: SsmConfig, rotation: boolean): string {
  const name = ssm.parameter.startsWith('/') ? ssm.parameter : `/${ssm.parameter}`;
  const resource = ARN.test(ssm.parameter)
    ? ssm.parameter
    : `arn:aws:ssm:${ssm.region}:<your-account-id>:parameter${name}`;
  const statements: Record<string, unknown>[] = rotation
    ? [
        {
          Sid: 'ReadAndReplaceTheHomeAssistantToken',
          Effect: 'Allow',
          Action: ['ssm:GetParameter', 'ssm:PutParameter'],
          Resource: resource,
        },
        {
          Sid: 'FindTheParametersKey',
          Effect: 'Allow',
          Action: 'ssm:DescribeParameters',
          Resource: '*',
        },
      ]
    : [
        {
          Sid: 'ReadTheHomeAssistantToken',
          Effect: 'Allow',
          Action: 'ssm:GetParameter',
          Resource: resource,
        },
      ];
  return JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
}
