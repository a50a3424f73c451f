import type { Connection } from 'home-assistant-js-websocket';

// Home Assistant's auth WebSocket commands (homeassistant/components/auth/__init__.py),
// sent over the add-on's live connection as the token's own user.

/** How long a command may wait for its answer; past that its outcome is unknown. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** `ERR_CONNECTION_LOST` in home-assistant-js-websocket lib/errors.ts. */
const CONNECTION_LOST = 3;

/** Home Assistant answered the command with an error: it did not happen. */
export class HaCommandError extends Error {
  readonly code: string;
  constructor(command: string, code: string, message: string | undefined) {
    super(`${command} failed: ${code}${message ? ` (${message})` : ''}`);
    this.name = 'HaCommandError';
    this.code = code;
  }
}

/**
 * No answer came (the connection dropped, or the time ran out): the command
 * may or may not have happened in Home Assistant. Whoever sent it finds out
 * by looking (docs/rotation.md, "Recovery").
 */
export class HaCommandUnknownError extends Error {
  constructor(command: string, why: string, options?: ErrorOptions) {
    super(
      `${command}: no answer from Home Assistant (${why}); whether it happened is not known`,
      options,
    );
    this.name = 'HaCommandUnknownError';
  }
}

/**
 * Sorts a rejection of `sendMessagePromise` into "HA answered" and "unknown".
 * home-assistant-js-websocket lib/connection.ts rejects with HA's `error`
 * object ({code, message}) when HA answers; with a whole result message
 * `{type: 'result', success: false, error: {code: 3}}` for commands in flight
 * when the socket closes; and with the bare number 3 when it was closed already.
 */
export function commandFailure(command: string, error: unknown): Error {
  if (error === CONNECTION_LOST) return new HaCommandUnknownError(command, 'connection lost');
  const e = error as {
    type?: string;
    error?: { code?: unknown };
    code?: unknown;
    message?: unknown;
  };
  const code = e?.type === 'result' ? e.error?.code : e?.code;
  if (code === CONNECTION_LOST || code === undefined)
    return new HaCommandUnknownError(
      command,
      code === undefined ? String(error) : 'connection lost',
      {
        cause: error,
      },
    );
  return new HaCommandError(
    command,
    String(code),
    typeof e.message === 'string' ? e.message : undefined,
  );
}

async function send<T>(
  conn: Connection,
  message: { type: string; [key: string]: unknown },
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HaCommandUnknownError(message.type, `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      conn.sendMessagePromise<T>(message).catch((error: unknown) => {
        throw commandFailure(message.type, error);
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `auth/long_lived_access_token`: one LLAT per client_name per user (a
 * duplicate fails as unknown_error), `lifespan` in days. HA's system users
 * (the Supervisor's) cannot own one and fail the same way.
 */
export function mintLongLivedToken(
  conn: Connection,
  clientName: string,
  lifespanDays: number,
  timeoutMs?: number,
): Promise<string> {
  return send<string>(
    conn,
    { type: 'auth/long_lived_access_token', client_name: clientName, lifespan: lifespanDays },
    timeoutMs,
  );
}

/** `auth/delete_refresh_token`: HA closes that token's sockets at once. */
export async function deleteRefreshToken(
  conn: Connection,
  refreshTokenId: string,
  timeoutMs?: number,
): Promise<void> {
  await send<unknown>(
    conn,
    { type: 'auth/delete_refresh_token', refresh_token_id: refreshTokenId },
    timeoutMs,
  );
}

export interface RefreshTokenInfo {
  id: string;
  client_name: string | null;
  type: string;
  /** ISO times and the address of the last use, as Home Assistant records them (auth/models.py RefreshToken). */
  created_at?: string;
  last_used_at?: string | null;
  last_used_ip?: string | null;
  /** Newer releases only (2026.x): when the refresh token ends. */
  expire_at?: number | string | null;
}

/** `auth/refresh_tokens`: the caller's own refresh tokens (a long-lived token is one, named by client_name). */
export function listRefreshTokens(
  conn: Connection,
  timeoutMs?: number,
): Promise<RefreshTokenInfo[]> {
  return send<RefreshTokenInfo[]>(conn, { type: 'auth/refresh_tokens' }, timeoutMs);
}

/**
 * `auth/current_user`: the id of the user this socket is authenticated as.
 * `auth/refresh_tokens` lists that user's tokens only, and
 * `auth/delete_refresh_token` refuses another user's (invalid_token_id).
 */
export async function currentUserId(
  conn: Connection,
  timeoutMs?: number,
): Promise<string | undefined> {
  const user = await send<{ id?: unknown } | null>(conn, { type: 'auth/current_user' }, timeoutMs);
  return typeof user?.id === 'string' ? user.id : undefined;
}
