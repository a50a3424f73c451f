/**
 * The `exp` claim (epoch seconds) of a JWT, read without verifying it: Home
 * Assistant signs long-lived tokens with a key only it holds, and the client
 * needs the expiry only to stop trusting a cached copy in time. Undefined when
 * the value is not a JWT or has no numeric `exp`.
 */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}
