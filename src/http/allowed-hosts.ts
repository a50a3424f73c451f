import type { MiddlewareHandler } from 'hono';

export interface AllowedHostsOptions {
  /** The address the server listens on (HOST). */
  bind: string;
  port: number;
  /** Further `host[:port]` names it is reached by (ALLOWED_HOSTS), e.g. a LAN name. */
  extra?: readonly string[];
  /** The machine's own addresses, used when it listens on every interface. */
  interfaces?: () => readonly string[];
}

const ANY = new Set(['0.0.0.0', '::', '']);

/**
 * Standalone (no Supervisor), the server is reached by its own address, so a
 * request whose Host names anything else came through a name that someone
 * else controls: DNS rebinding, where a page on evil.example re-points its name
 * at 127.0.0.1 and its scripts then read /api/status and press the buttons
 * as "same origin". Refusing unknown Host values closes that (the browser
 * sends the attacker's name). Under the Supervisor the ingress guard does the
 * job: only the proxy's address gets in.
 */
export function allowedHosts(options: AllowedHostsOptions): MiddlewareHandler {
  const allowed = new Set<string>();
  const add = (host: string) => {
    const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    allowed.add(`${name}:${options.port}`.toLowerCase());
    if (options.port === 80) allowed.add(name.toLowerCase());
  };
  for (const host of ['localhost', '127.0.0.1', '::1']) add(host);
  if (ANY.has(options.bind)) for (const address of options.interfaces?.() ?? []) add(address);
  else add(options.bind);
  for (const entry of options.extra ?? []) {
    const value = entry.trim().toLowerCase();
    if (value === '') continue;
    // With a port as given; without one, on the server's port.
    if (/^(\[[^\]]+\]|[^:[\]]+):\d+$/.test(value)) allowed.add(value);
    else add(value);
  }
  return async (c, next) => {
    const host = c.req.header('Host')?.toLowerCase();
    if (host === undefined || !allowed.has(host)) {
      return c.text(
        'Forbidden: this server is not reached by that name. Add it to ALLOWED_HOSTS if it should be.\n',
        403,
      );
    }
    return next();
  };
}
