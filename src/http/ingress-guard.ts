import type { Context, MiddlewareHandler } from 'hono';
import { ipRestriction } from 'hono/ip-restriction';

export interface IngressGuardOptions {
  /** The one peer allowed in: the Supervisor's ingress proxy, 172.30.32.2 in production. */
  allowedPeer: string;
  /** The remote address of a request (from the Node adapter's conninfo in production). */
  peerOf: (c: Context) => string | undefined;
}

/** Inside the container: the image's HEALTHCHECK runs `GET /health` from here. */
const LOOPBACK = ['127.0.0.1', '::1'];

/**
 * Under the Supervisor only the ingress proxy may reach the add-on
 * (docs/architecture.md, "Security rules"); the watchdog's /health checks come
 * from the same address. Trusting the whole hassio network would let any
 * other add-on in, and let it forge the X-Remote-User-* headers the
 * Supervisor adds. The one exception is `GET /health` from loopback, for the
 * container's own health check: it changes nothing and shows no more than
 * the state. Hono's ip-restriction does the matching (including IPv4-mapped
 * IPv6 peers on a dual-stack socket).
 */
export function ingressGuard(options: IngressGuardOptions): MiddlewareHandler {
  const peer = (c: Context) => options.peerOf(c) ?? '';
  const refuse = (_remote: unknown, c: Context) =>
    c.text(
      'Forbidden: this add-on only answers requests that come through Home Assistant ingress.\n',
      403,
    );
  const ingressOnly = ipRestriction(peer, { allowList: [options.allowedPeer] }, refuse);
  const health = ipRestriction(peer, { allowList: [options.allowedPeer, ...LOOPBACK] }, refuse);
  return (c, next) =>
    c.req.method === 'GET' && c.req.path === '/health' ? health(c, next) : ingressOnly(c, next);
}
