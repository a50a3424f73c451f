import type { Context, MiddlewareHandler } from 'hono';

export interface IngressGuardOptions {
  /** The one peer allowed in: the Supervisor's ingress proxy, 172.30.32.2 in production. */
  allowedPeer: string;
  /** The remote address of a request (from the Node adapter's conninfo in production). */
  peerOf: (c: Context) => string | undefined;
}

/**
 * Under the Supervisor only the ingress proxy may reach the add-on (DESIGN.md C6);
 * the watchdog's /health checks come from the same address. Trusting the whole
 * hassio network would let any other add-on in, and let it forge the
 * X-Remote-User-* headers the Supervisor adds.
 */
export function ingressGuard(options: IngressGuardOptions): MiddlewareHandler {
  const allowed = normalize(options.allowedPeer);
  return async (c, next) => {
    const peer = options.peerOf(c);
    if (peer === undefined || normalize(peer) !== allowed) {
      return c.text(
        'Forbidden: this add-on only answers requests that come through Home Assistant ingress.\n',
        403,
      );
    }
    return next();
  };
}

/** IPv4 addresses arrive as IPv4-mapped IPv6 on a dual-stack socket. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
