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
