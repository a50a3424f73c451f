import { SourceError } from '../errors.js';

// SDK errors (by `name`, as the SDK v3 models them) become SourceErrors that
// name the parameter and the IAM action or KMS key that is missing.

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);

/** Maps an SDK error (by `name`, as the SDK v3 models them) to a reason the user can act on. */
export type SsmAction = 'read' | 'write';

export function translate(
  error: unknown,
  parameter: string,
  region: string,
  action: SsmAction = 'read',
): SourceError {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { attempts?: number };
  };
  const name = e.name ?? '';
  const message = e.message ?? '';
  const arn = parameter.startsWith('arn:')
    ? parameter
    : `arn:aws:ssm:${region}:<account-id>:parameter${parameter.startsWith('/') ? '' : '/'}${parameter}`;
  const kmsKey =
    /kms:Decrypt on resource:? (arn:aws[^\s]*:kms:[^\s]+)/i.exec(message)?.[1] ??
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
    name.startsWith('KMS') ||
    name === 'InvalidKeyId' ||
    (name === 'AccessDeniedException' && /kms:/i.test(message))
  ) {
    const key = kmsKey ?? "the parameter's KMS key";
    return fail(
      action === 'read'
        ? `SSM parameter ${parameter} could not be decrypted (${name}). Allow kms:Decrypt on ${key} for the add-on's AWS identity, and check that the key is enabled.`
        : `SSM parameter ${parameter} could not be encrypted (${name}). Allow kms:Encrypt and kms:GenerateDataKey on ${key} for the add-on's AWS identity, and check that the key is enabled.`,
    );
  }
  if (name === 'AccessDeniedException') {
    const resource = /on resource:? (arn:[^\s]+)/i.exec(message)?.[1] ?? arn;
    return fail(
      action === 'read'
        ? `Access denied reading SSM parameter ${parameter}. Allow ssm:GetParameter on ${resource} for the add-on's AWS identity.`
        : `Access denied writing SSM parameter ${parameter}. Allow ssm:PutParameter on ${resource} for the add-on's AWS identity (needed for rotation).`,
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
      `AWS rejected the credentials used to read SSM parameter ${parameter} (${name}). Check aws_access_key_id and aws_secret_access_key, or the credentials of the standard AWS chain.`,
    );
  }
  if (name === 'CredentialsProviderError') {
    return fail(
      `No AWS credentials were found to read SSM parameter ${parameter}. Set aws_access_key_id and aws_secret_access_key, or provide credentials through the standard AWS chain.`,
    );
  }
  if (
    name === 'ThrottlingException' ||
    name === 'TooManyUpdates' ||
    name === 'ThrottledException'
  ) {
    return fail(
      `SSM throttled reads of ${parameter}${attempts ? ` (after ${attempts} attempts)` : ''}; the GetParameter quota is shared by the account and region. Retrying at the next refresh.`,
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
      `SSM could not be reached to read ${parameter} (${e.code ?? name ?? 'network error'}). Check the network, aws_region and ssm_endpoint. Retrying at the next refresh.`,
      true,
    );
  }
  if (name === 'InternalServerError' || (e as { $fault?: string }).$fault === 'server') {
    return fail(
      `SSM failed reading ${parameter} (${name || 'server error'}). Retrying at the next refresh.`,
      true,
    );
  }
  return fail(`Could not read SSM parameter ${parameter} (${name || 'unknown error'}).`, true);
}
