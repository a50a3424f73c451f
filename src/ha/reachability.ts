import { connect } from 'node:net';

/** True once something accepts TCP connections where Home Assistant should be. */
export type ReachabilityProbe = () => Promise<boolean>;

/**
 * The readiness probe the connection polls while Home Assistant is away: a
 * bare TCP connect to its port, closed at once. It sends no credentials and
 * no HTTP request, so Home Assistant logs nothing and counts no failed login
 * (components/http/ban.py counts only requests that fail authentication; a
 * `GET /api/` without a token would be one). A refused connect on a host that
 * is up answers in microseconds; a host that drops packets is bounded by
 * `timeoutMs`.
 */
export function createTcpProbe(url: string, timeoutMs = 1000): ReachabilityProbe {
  const target = new URL(url);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  // URL keeps IPv6 literals bracketed; net.connect wants them bare.
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  return () =>
    new Promise((resolve) => {
      const socket = connect({ host, port });
      const done = (ok: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
}
