import { SSMClient } from '@aws-sdk/client-ssm';

export interface SsmClientSettings {
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface SsmTimeouts {
  /** TCP (and TLS) connect to the endpoint. */
  connectionTimeoutMs: number;
  /** The whole request, once connected: a stalled answer ends as a TimeoutError. */
  requestTimeoutMs: number;
}

// Without these the SDK waits on a stalled call for as long as the socket
// lives (its only default is a 900 s idle timeout). TimeoutError is one of the
// SDK's transient errors, so its standard retries (3 attempts) still apply: a
// black-holed endpoint fails after about 3 × 5 s, not minutes.
export const SSM_TIMEOUTS: SsmTimeouts = { connectionTimeoutMs: 3000, requestTimeoutMs: 5000 };

/** The SSM client the add-on uses; src/wiring/credential-work.ts passes it to SsmSource. */
export function createSsmClient(
  settings: SsmClientSettings,
  timeouts: SsmTimeouts = SSM_TIMEOUTS,
): SSMClient {
  const { region, endpoint, accessKeyId, secretAccessKey } = settings;
  return new SSMClient({
    region,
    endpoint,
    // Static keys when given; otherwise the SDK's standard credential chain.
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    // NodeHttpHandler options (@smithy/types httpHandlerInitialization.d.ts);
    // throwOnRequestTimeout, else a request timeout only logs a warning.
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}
