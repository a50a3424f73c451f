import { HaUnavailableError, TokenRejectedError } from '../errors.js';
import type { Token } from '../tokens/token.js';

export type TokenCheck = (token: Token) => Promise<void>;

/**
 * Validates a token with the cheapest authenticated call, `GET /api/`
 * (homeassistant/components/api/__init__.py APIStatusView): 200 means valid,
 * 401 means Home Assistant rejected it — and recorded a failed login
 * (components/http/ban.py), which is why a token is checked once, not polled.
 */
export function createTokenCheck(
  baseUrl: string,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): TokenCheck {
  const doFetch = options.fetch ?? fetch;
  const url = new URL('api/', withSlash(baseUrl)).toString();
  return async (token) => {
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: { Authorization: `Bearer ${token.reveal()}` },
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        redirect: 'manual',
      });
    } catch (error) {
      throw new HaUnavailableError(
        `Home Assistant at ${baseUrl} did not answer: ${reasonOf(error)}.`,
        {
          cause: error,
        },
      );
    }
    await response.body?.cancel();
    if (response.status === 200) return;
    if (response.status === 401) {
      throw new TokenRejectedError(
        `Home Assistant rejected the token ${token.masked} (401): it was revoked, deleted or belongs to another instance.`,
      );
    }
    if (response.status === 403) {
      throw new HaUnavailableError(
        `Home Assistant at ${baseUrl} refused this address (403): it is banned after failed logins. Remove it from ip_bans.yaml in the Home Assistant config folder and restart Home Assistant.`,
      );
    }
    throw new HaUnavailableError(
      `Home Assistant at ${baseUrl} answered ${response.status} to GET /api/.`,
    );
  };
}

export function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause as { code?: string; message?: string } | undefined;
    if (error.name === 'TimeoutError') return 'timed out';
    if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
    return error.message;
  }
  return String(error);
}
