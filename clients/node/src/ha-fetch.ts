import type { TokenClient } from './token-client.js';

export const USER_AGENT = 'ha-token-client-node/0.1.0';

export interface RequestOptions {
  /** Sent as the JSON body, with `Content-Type: application/json`. */
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function requestInit(method: string, options: RequestOptions): RequestInit {
  const headers: Record<string, string> = { ...options.headers };
  const init: RequestInit = { method, headers };
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  }
  if (options.signal) init.signal = options.signal;
  return init;
}

/**
 * One request with the current token; after a 401, one retry with the token
 * SSM holds now. Each 401 is a failed login in Home Assistant
 * (components/http/ban.py), so neither token is ever sent a second time.
 */
export async function haFetch(
  client: TokenClient,
  fetchImpl: typeof fetch,
  baseUrl: string,
  path: string,
  init: RequestInit,
): Promise<Response> {
  const url = `${baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
  const send = (token: string) => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    // Home Assistant's failed-login warnings name the user agent: say who we are.
    if (!headers.has('User-Agent')) headers.set('User-Agent', USER_AGENT);
    return fetchImpl(url, { ...init, headers });
  };
  const token = await client.getToken();
  const first = await send(token);
  if (first.status !== 401) return first;
  await first.body?.cancel();
  const next = await client.reject(token);
  const second = await send(next);
  if (second.status === 401) client.markRejected(next);
  return second;
}
