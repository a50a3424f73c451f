import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { forward } from './forward.js';

/** Static test credentials: moto accepts any, and they keep the SDK off the network chain. */
export const TEST_AWS = { region: 'us-east-1', accessKeyId: 'testing', secretAccessKey: 'testing' };

export function ssmClient(endpoint: string): SSMClient {
  return new SSMClient({
    region: TEST_AWS.region,
    endpoint,
    credentials: { accessKeyId: TEST_AWS.accessKeyId, secretAccessKey: TEST_AWS.secretAccessKey },
  });
}

/** A schedule that never fires in a test's lifetime, so a change provably came without a scheduled run. */
export const NEVER = '0 0 1 1 *';

/** Add-on options for a token in SSM, with the test's static keys and endpoint. */
export function ssmAddonOptions(
  haUrl: string,
  endpoint: string,
  parameter: string,
  extra: Record<string, unknown> = {},
) {
  return {
    home_assistant_url: haUrl,
    token_source: 'ssm',
    ssm_parameter: parameter,
    aws_region: TEST_AWS.region,
    aws_access_key_id: TEST_AWS.accessKeyId,
    aws_secret_access_key: TEST_AWS.secretAccessKey,
    ssm_endpoint: endpoint,
    refresh_schedule: NEVER,
    ...extra,
  };
}

let parameters = 0;

/** A parameter name no other test uses. */
export function uniqueParameter(): string {
  return `/htm-test/${process.pid}/${Date.now()}/${++parameters}/token`;
}

/** Puts a SecureString (moto encrypts it with its default aws/ssm key); returns the new Version. */
export async function putToken(
  client: SSMClient,
  name: string,
  value: string,
  type = 'SecureString',
): Promise<number> {
  const result = await client.send(
    new PutParameterCommand({
      Name: name,
      Value: value,
      Type: type as 'SecureString',
      Overwrite: true,
    }),
  );
  return result.Version ?? 0;
}

export async function deleteParameter(client: SSMClient, name: string): Promise<void> {
  await client.send(new DeleteParameterCommand({ Name: name })).catch(() => undefined);
}

export type ProxyMode =
  | { kind: 'pass' }
  | { kind: 'down' }
  /** Accepts and reads requests, never answers: a network path that drops the replies. */
  | { kind: 'blackhole' }
  /** Forwards each request after `ms`. */
  | { kind: 'latency'; ms: number }
  /** An AWS JSON 1.1 error, exactly as SSM sends it (`__type` + `message`, HTTP 400). */
  | { kind: 'error'; type: string; message: string; status?: number; onlyFor?: string }
  /**
   * Forwards the request to moto (the write lands) and cuts the connection
   * instead of passing the answer back: a lost answer. The SDK retries, and
   * each retry lands too.
   */
  | { kind: 'drop-answer'; onlyFor: string }
  /** Forwards the request to moto (the write lands) and passes the answer back `ms` later. */
  | { kind: 'slow-answer'; onlyFor: string; ms: number };

/**
 * Stands between the add-on and moto, to produce what moto cannot: a service
 * that is down, and errors moto does not model (AccessDenied, KMS, throttling).
 * Counts the GetParameter calls that pass through.
 */
export class SsmProxy {
  readonly url: string;
  mode: ProxyMode = { kind: 'pass' };
  getParameterCalls = 0;
  /** Answers cut by `drop-answer` so far. */
  droppedAnswers = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
    server.on('connection', (socket) => {
      if (this.mode.kind === 'down') {
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(target: string): Promise<SsmProxy> {
    const upstream = new URL(target);
    let proxy: SsmProxy | undefined;
    const server = createServer((req, res) => {
      const mode = proxy?.mode ?? { kind: 'pass' };
      if (req.headers['x-amz-target'] === 'AmazonSSM.GetParameter' && proxy)
        proxy.getParameterCalls++;
      if (mode.kind === 'down') {
        req.socket.destroy();
        return;
      }
      if (mode.kind === 'blackhole') {
        req.resume();
        return;
      }
      if (mode.kind === 'latency') {
        setTimeout(() => forward(req, res, upstream), mode.ms);
        return;
      }
      if (
        mode.kind === 'error' &&
        (!mode.onlyFor || req.headers['x-amz-target'] === `AmazonSSM.${mode.onlyFor}`)
      ) {
        req.resume();
        res.writeHead(mode.status ?? 400, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-RequestId': 'test',
        });
        res.end(JSON.stringify({ __type: mode.type, message: mode.message }));
        return;
      }
      if (
        mode.kind === 'drop-answer' &&
        req.headers['x-amz-target'] === `AmazonSSM.${mode.onlyFor}`
      ) {
        if (proxy) proxy.droppedAnswers++;
        forward(req, res, upstream, { onAnswer: () => req.socket.destroy() });
        return;
      }
      if (
        mode.kind === 'slow-answer' &&
        req.headers['x-amz-target'] === `AmazonSSM.${mode.onlyFor}`
      ) {
        forward(req, res, upstream, { answerDelayMs: mode.ms });
        return;
      }
      forward(req, res, upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new SsmProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Goes down at once: open keep-alive connections are cut too. */
  down(): void {
    this.mode = { kind: 'down' };
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
