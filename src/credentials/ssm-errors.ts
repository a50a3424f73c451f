import { SourceError } from '../errors.js';

// SDK errors (by `name`, as the SDK v3 models them) become SourceErrors that
// name the parameter, the operation, and the IAM action or KMS key that is
// missing for that operation.

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);

/**
 * Which SSM call failed: reading the token (GetParameter), reading the
 * consumers' parameters in batches (GetParameters), writing a new one
 * (rotation), or looking up its KMS key.
 */
export type SsmOperation = 'read' | 'read-many' | 'write' | 'describe';

interface OperationWords {
  /** "reading", completing "Access denied … SSM parameter". */
  doing: string;
  /** "read", completing "the credentials used to … SSM parameter". */
  verb: string;
  api: string;
  iamAction: string;
  /** What KMS must allow for this operation, or undefined when it uses no key. */
  kms?: { failed: string; allow: string };
  /** Why the add-on needs the action, after "Allow …". */
  why: string;
  /** Said after a transient failure. */
  afterwards: string;
}

const OPERATIONS: Record<SsmOperation, OperationWords> = {
  read: {
    doing: 'reading',
    verb: 'read',
    api: 'GetParameter',
    iamAction: 'ssm:GetParameter',
    kms: { failed: 'could not be decrypted', allow: 'kms:Decrypt' },
    why: '',
    afterwards: ' Retrying at the next refresh.',
  },
  'read-many': {
    doing: 'reading',
    verb: 'read',
    api: 'GetParameters',
    iamAction: 'ssm:GetParameters',
    kms: { failed: 'could not be decrypted', allow: 'kms:Decrypt' },
    why: '',
    afterwards: ' Retrying at the next refresh.',
  },
  write: {
    doing: 'writing',
    verb: 'write',
    api: 'PutParameter',
    iamAction: 'ssm:PutParameter',
    kms: { failed: 'could not be encrypted', allow: 'kms:Encrypt and kms:GenerateDataKey' },
    why: ' (needed for rotation)',
    afterwards: ' The rotation did not complete; it can be run again.',
  },
  describe: {
    doing: 'describing',
    verb: 'describe',
    api: 'DescribeParameters',
    iamAction: 'ssm:DescribeParameters',
    why: ' (rotation keeps the KMS key the parameter uses), or set ssm_kms_key_id',
    afterwards: ' The rotation did not complete; it can be run again.',
  },
};

/** Maps an SDK error from `operation` on `parameter` to a reason the user can act on. */
export function translate(
  error: unknown,
  parameter: string,
  region: string,
  operation: SsmOperation = 'read',
): SourceError {
  const op = OPERATIONS[operation];
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $fault?: string;
    $metadata?: { attempts?: number };
  };
  const name = e.name ?? '';
  const message = e.message ?? '';
  const arn = parameter.startsWith('arn:')
    ? parameter
    : `arn:aws:ssm:${region}:<account-id>:parameter${parameter.startsWith('/') ? '' : '/'}${parameter}`;
  const kmsKey =
    /kms:\w+ on resource:? (arn:aws[^\s]*:kms:[^\s]+)/i.exec(message)?.[1] ??
    /(arn:aws[^\s]*:kms:[^\s]+)/.exec(message)?.[1];
  const attempts = e.$metadata?.attempts;
  const fail = (text: string, transient = false) =>
    new SourceError(text, { cause: error, transient });

  if (name === 'ParameterNotFound') {
    return fail(
      `SSM parameter ${parameter} was not found in ${region}. Create it (aws ssm put-parameter --name ${parameter} --type SecureString --value <token>) or correct ssm_parameter and aws_region.`,
    );
  }
  if (
    op.kms &&
    (name.startsWith('KMS') ||
      name === 'InvalidKeyId' ||
      (name === 'AccessDeniedException' && /kms:/i.test(message)))
  ) {
    const key = kmsKey ?? "the parameter's KMS key";
    return fail(
      `SSM parameter ${parameter} ${op.kms.failed} (${name}). Allow ${op.kms.allow} on ${key} for the add-on's AWS identity, and check that the key is enabled.`,
    );
  }
  if (name === 'AccessDeniedException') {
    const resource = /on resource:? (arn:[^\s]+)/i.exec(message)?.[1] ?? arn;
    // DescribeParameters is not scoped to a parameter: IAM grants it on `*`.
    const on = operation === 'describe' ? '' : ` on ${resource}`;
    return fail(
      `Access denied ${op.doing} SSM parameter ${parameter}. Allow ${op.iamAction}${on} for the add-on's AWS identity${op.why}.`,
    );
  }
  if (
    [
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'ExpiredTokenException',
      'InvalidClientTokenId',
    ].includes(name)
  ) {
    return fail(
      `AWS rejected the credentials used to ${op.verb} SSM parameter ${parameter} (${name}). Check aws_access_key_id and aws_secret_access_key, or the credentials of the standard AWS chain.`,
    );
  }
  if (name === 'CredentialsProviderError') {
    return fail(
      `No AWS credentials were found to ${op.verb} SSM parameter ${parameter}. Set aws_access_key_id and aws_secret_access_key, or provide credentials through the standard AWS chain.`,
    );
  }
  if (
    name === 'ThrottlingException' ||
    name === 'TooManyUpdates' ||
    name === 'ThrottledException'
  ) {
    return fail(
      `SSM throttled ${op.verb}s of ${parameter}${attempts ? ` (after ${attempts} attempts)` : ''}; the ${op.api} quota is shared by the account and region.${op.afterwards}`,
      true,
    );
  }
  if (
    name === 'TimeoutError' ||
    NETWORK_CODES.has(e.code ?? '') ||
    NETWORK_CODES.has(name) ||
    /ECONNREFUSED|ETIMEDOUT|socket hang up/i.test(message)
  ) {
    return fail(
      `SSM could not be reached to ${op.verb} ${parameter} (${e.code ?? (name || 'network error')}). Check the network, aws_region and ssm_endpoint.${op.afterwards}`,
      true,
    );
  }
  if (name === 'InternalServerError' || e.$fault === 'server') {
    return fail(
      `SSM failed ${op.doing} ${parameter} (${name || 'server error'}).${op.afterwards}`,
      true,
    );
  }
  return fail(
    `Could not ${op.verb} SSM parameter ${parameter} (${op.api}: ${name || 'unknown error'}).`,
    true,
  );
}
