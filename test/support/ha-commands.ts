import WebSocket from 'ws';

/**
 * Sends WebSocket commands to Home Assistant as a given user — what a test
 * needs to mint and revoke tokens (components/auth/__init__.py:
 * auth/long_lived_access_token, auth/delete_refresh_token).
 */
export async function haCommand<T>(
  baseUrl: string,
  token: string,
  command: Record<string, unknown>,
): Promise<T> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/websocket`);
  try {
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to ${String(command.type)}`)),
        15_000,
      );
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`socket closed during ${String(command.type)}`)));
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString());
        if (message.type === 'auth_required') {
          socket.send(JSON.stringify({ type: 'auth', access_token: token }));
        } else if (message.type === 'auth_invalid') {
          reject(new Error(`auth_invalid: ${message.message}`));
        } else if (message.type === 'auth_ok') {
          socket.send(JSON.stringify({ id: 1, ...command }));
        } else if (message.type === 'result' && message.id === 1) {
          clearTimeout(timer);
          if (message.success) resolve(message.result as T);
          else
            reject(
              new Error(
                `${String(command.type)} failed: ${message.error?.code} ${message.error?.message}`,
              ),
            );
        }
      });
    });
  } finally {
    socket.close();
  }
}

let minted = 0;

/** Mints a long-lived access token for the user who owns `adminToken`. */
export function mintToken(baseUrl: string, adminToken: string, lifespanDays = 1): Promise<string> {
  // One LLAT per client_name per user: make every name unique.
  const clientName = `test-${process.pid}-${Date.now()}-${++minted}`;
  return haCommand<string>(baseUrl, adminToken, {
    type: 'auth/long_lived_access_token',
    client_name: clientName,
    lifespan: lifespanDays,
  });
}

/** Deletes the refresh token behind an LLAT (its JWT `iss` claim); HA closes its sockets at once. */
export async function revokeToken(
  baseUrl: string,
  adminToken: string,
  token: string,
): Promise<void> {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  await haCommand(baseUrl, adminToken, {
    type: 'auth/delete_refresh_token',
    refresh_token_id: claims.iss,
  });
}

/** A JWT-shaped token HA never issued: well-formed, so only HA can reject it. */
export function forgedToken(seed: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const signature = Buffer.from(`forged-signature-${seed}-${now}-padding-padding`).toString(
    'base64url',
  );
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: `forged${seed}`, iat: now, exp: now + 86_400 })}.${signature}`;
}
