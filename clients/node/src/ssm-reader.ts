import {
  GetParameterCommand,
  type GetParameterCommandOutput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import {
  AccessDeniedError,
  ParameterNotFoundError,
  SsmReadError,
  type TokenClientError,
} from './errors.js';

/** The one SSM call the client makes; an `SSMClient` fits, and so does a test's fake. */
export interface SsmLike {
  send(command: GetParameterCommand): Promise<GetParameterCommandOutput>;
}

export interface ParameterValue {
  readonly value: string;
  readonly version: number | undefined;
}

export function defaultSsmClient(region: string | undefined): SsmLike {
  return new SSMClient(region ? { region } : {});
}

/** `GetParameter` with decryption; SDK errors become errors that say what to fix. */
export async function readViaSdk(
  client: SsmLike,
  parameter: string,
  region: string | undefined,
): Promise<ParameterValue> {
  let output: GetParameterCommandOutput;
  try {
    output = await client.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
  } catch (error) {
    throw translate(error, parameter, region);
  }
  const value = output.Parameter?.Value;
  if (!value) throw new SsmReadError(`SSM parameter ${parameter} is empty.`, parameter);
  return { value, version: output.Parameter?.Version };
}

/**
 * The AWS Parameters and Secrets Lambda Extension's local endpoint
 * (docs.aws.amazon.com/systems-manager/latest/userguide/ps-integration-lambda-extensions.html):
 * authenticated by the function's own session token, answering GetParameter's JSON.
 */
export async function readViaExtension(
  port: number,
  parameter: string,
  sessionToken: string | undefined,
  fetchImpl: typeof fetch,
  timeoutMs = 2_000,
): Promise<ParameterValue> {
  const url = `http://localhost:${port}/systemsmanager/parameters/get?name=${encodeURIComponent(parameter)}&withDecryption=true`;
  const response = await fetchImpl(url, {
    headers: { 'X-Aws-Parameters-Secrets-Token': sessionToken ?? '' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`the Parameters and Secrets extension answered ${response.status}`);
  }
  const body = (await response.json()) as GetParameterCommandOutput;
  const value = body.Parameter?.Value;
  if (!value) throw new Error('the Parameters and Secrets extension returned no value');
  return { value, version: body.Parameter?.Version };
}

function parameterArn(parameter: string, region: string | undefined): string {
  if (parameter.startsWith('arn:')) return parameter;
  const path = parameter.startsWith('/') ? parameter : `/${parameter}`;
  return `arn:aws:ssm:${region ?? '<region>'}:<account-id>:parameter${path}`;
}

/** SDK v3 errors by `name` → the package's own errors, with the fix in the message. */
export function translate(
  error: unknown,
  parameter: string,
  region: string | undefined,
): TokenClientError {
  const e = error as { name?: string; message?: string };
  const name = e.name ?? '';
  const message = e.message ?? '';
  const options = { cause: error };
  if (name === 'ParameterNotFound') {
    return new ParameterNotFoundError(
      `SSM parameter ${parameter} was not found${region ? ` in ${region}` : ''}. The HA Token Manager add-on creates it when it first publishes a token: check that the consumer's name and region match the add-on's ssm_parameter and aws_region, and that the add-on has published (its status page shows the version).`,
      parameter,
      options,
    );
  }
  if (
    name.startsWith('KMS') ||
    name === 'InvalidKeyId' ||
    (name === 'AccessDeniedException' && /kms:/i.test(message))
  ) {
    const key = /(arn:aws[^\s]*:kms:[^\s]+)/.exec(message)?.[1] ?? "the parameter's KMS key";
    return new AccessDeniedError(
      `SSM parameter ${parameter} could not be decrypted (${name}). Allow kms:Decrypt on ${key} for this consumer's AWS identity, with the condition kms:EncryptionContext:PARAMETER_ARN = ${parameterArn(parameter, region)}.`,
      parameter,
      options,
    );
  }
  if (name === 'AccessDeniedException') {
    const resource =
      /on resource:? (arn:[^\s]+)/i.exec(message)?.[1] ?? parameterArn(parameter, region);
    return new AccessDeniedError(
      `Access denied reading SSM parameter ${parameter}. Allow ssm:GetParameter on ${resource} for this consumer's AWS identity, and kms:Decrypt on the key that encrypts it.`,
      parameter,
      options,
    );
  }
  return new SsmReadError(
    `Could not read SSM parameter ${parameter} (${name || 'error'}: ${message}).`,
    parameter,
    options,
  );
}

/** Where the Lambda extension listens, if it is to be used (see TokenClientOptions.extension). */
export function extensionPort(
  setting: 'auto' | false | { port: number },
  env: Record<string, string | undefined>,
): number | undefined {
  if (setting === false) return undefined;
  if (setting !== 'auto') return setting.port;
  const port = env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT;
  if (port) return Number(port);
  return env.AWS_LAMBDA_RUNTIME_API ? 2773 : undefined;
}
