import { expect, test } from 'vitest';
import { translate } from '../../src/credentials/ssm-errors.js';

const named = (name: string, message = '', extra: object = {}) =>
  Object.assign(new Error(message), { name, ...extra });

test.each([
  [named('ParameterNotFound'), /\/ha\/token was not found in eu-west-1.*put-parameter/, false],
  [
    named('AccessDeniedException', 'not authorized'),
    /Allow ssm:GetParameter on arn:aws:ssm:eu-west-1:<account-id>:parameter\/ha\/token/,
    false,
  ],
  [
    named('InvalidKeyId'),
    /could not be decrypted \(InvalidKeyId\).*kms:Decrypt on the parameter's KMS key/,
    false,
  ],
  [named('UnrecognizedClientException'), /AWS rejected the credentials.*aws_access_key_id/, false],
  [named('CredentialsProviderError'), /No AWS credentials were found/, false],
  [
    named('ThrottlingException', '', { $metadata: { attempts: 3 } }),
    /throttled .* \(after 3 attempts\)/,
    true,
  ],
  [named('TimeoutError'), /SSM could not be reached/, true],
  [
    named('Error', 'connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' }),
    /could not be reached .*ECONNREFUSED/,
    true,
  ],
])(
  'SDK error %#: %s becomes a reason naming the parameter and the fix',
  (error, reason, transient) => {
    const translated = translate(error, '/ha/token', 'eu-west-1');

    expect(translated.message).toMatch(reason);
    expect(translated.transient).toBe(transient);
    expect(translated.cause).toBe(error);
  },
);

test.each([
  [
    'write',
    named('AccessDeniedException', 'not authorized to perform: ssm:PutParameter'),
    /^Access denied writing SSM parameter \/ha\/token\. Allow ssm:PutParameter on arn:aws:ssm:eu-west-1:<account-id>:parameter\/ha\/token .*\(needed for rotation\)/,
  ],
  [
    'write',
    named(
      'AccessDeniedException',
      'not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:123456789012:key/abc',
    ),
    /could not be encrypted .*Allow kms:Encrypt and kms:GenerateDataKey on arn:aws:kms:eu-west-1:123456789012:key\/abc/,
  ],
  ['write', named('KMSDisabledException'), /could not be encrypted \(KMSDisabledException\)/],
  [
    'write',
    named('ThrottlingException'),
    /^SSM throttled writes of \/ha\/token; the PutParameter quota/,
  ],
  ['write', named('TimeoutError'), /^SSM could not be reached to write \/ha\/token/],
  ['write', named('UnrecognizedClientException'), /credentials used to write SSM parameter/],
  [
    'write',
    named('SomethingNew'),
    /^Could not write SSM parameter \/ha\/token \(PutParameter: SomethingNew\)/,
  ],
  [
    'describe',
    named('AccessDeniedException', 'not authorized to perform: ssm:DescribeParameters'),
    /^Access denied describing SSM parameter \/ha\/token\. Allow ssm:DescribeParameters for .*or set ssm_kms_key_id/,
  ],
] as const)(
  'a %s error says what was being done and names the IAM action it needs: %s',
  (operation, error, reason) => {
    const translated = translate(error, '/ha/token', 'eu-west-1', operation);

    expect(translated.message).toMatch(reason);
    expect(translated.message).not.toMatch(/\bread(ing)?\b|GetParameter|kms:Decrypt/);
  },
);
