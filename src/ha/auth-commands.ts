import type { Connection } from 'home-assistant-js-websocket';

// Home Assistant's auth WebSocket commands (homeassistant/components/auth/__init__.py),
// sent over the add-on's live connection as the token's own user.

/** HA answers a failed command with {code, message}; this keeps both in an Error. */
export class HaCommandError extends Error {
  readonly code: string;
  constructor(command: string, error: unknown) {
    const e = error as { code?: string | number; message?: string };
    super(`${command} failed: ${e?.code ?? 'error'}${e?.message ? ` (${e.message})` : ''}`);
    this.name = 'HaCommandError';
    this.code = String(e?.code ?? 'error');
  }
}

async function send<T>(
  conn: Connection,
  message: { type: string; [key: string]: unknown },
): Promise<T> {
  try {
    return await conn.sendMessagePromise<T>(message);
  } catch (error) {
    throw new HaCommandError(message.type, error);
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
): Promise<string> {
  return send<string>(conn, {
    type: 'auth/long_lived_access_token',
    client_name: clientName,
    lifespan: lifespanDays,
  });
}

/** `auth/delete_refresh_token`: HA closes that token's sockets at once. */
export async function deleteRefreshToken(conn: Connection, refreshTokenId: string): Promise<void> {
  await send<unknown>(conn, {
    type: 'auth/delete_refresh_token',
    refresh_token_id: refreshTokenId,
  });
}

export interface RefreshTokenInfo {
  id: string;
  client_name: string | null;
  type: string;
}

/** `auth/refresh_tokens`: the caller's own refresh tokens (a long-lived token is one, named by client_name). */
export function listRefreshTokens(conn: Connection): Promise<RefreshTokenInfo[]> {
  return send<RefreshTokenInfo[]>(conn, { type: 'auth/refresh_tokens' });
}
