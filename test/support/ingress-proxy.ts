import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward } from './forward.js';

/**
 * Plays the Supervisor's ingress on loopback: serves the add-on under
 * /api/hassio_ingress/<random token>/, strips that prefix, forwards the
 * browser's headers (Host and Origin included, as supervisor/api/ingress.py
 * _init_header does), adds X-Ingress-Path, X-Hass-Source and the
 * X-Remote-User-* headers, and connects to the add-on from `fromAddress` —
 * the stand-in for 172.30.32.2 that the add-on's guard accepts.
 */
export class IngressProxy {
  readonly prefix = `/api/hassio_ingress/${randomBytes(24).toString('base64url')}`;
  readonly #server: Server;
  readonly url: string;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  /** The page's address as the browser sees it (with the trailing slash HA uses). */
  get pageUrl(): string {
    return `${this.url}${this.prefix}/`;
  }

  static async start(target: () => string, fromAddress = '127.0.0.2'): Promise<IngressProxy> {
    let proxy: IngressProxy | undefined;
    const server = createServer((req, res) => {
      const prefix = proxy?.prefix ?? '';
      if (!req.url?.startsWith(`${prefix}/`)) {
        res.writeHead(404).end('not an ingress path');
        return;
      }
      const upstream = new URL(target());
      const headers = { ...req.headers };
      headers['x-ingress-path'] = prefix;
      headers['x-hass-source'] = 'core.ingress';
      headers['x-remote-user-id'] = 'a1b2c3';
      headers['x-remote-user-name'] = 'owner';
      headers['x-remote-user-display-name'] = 'Test Owner';
      headers['x-forwarded-for'] = `${req.headers['x-forwarded-for'] ?? ''}, 127.0.0.1`;
      forward(req, res, upstream, {
        path: req.url.slice(prefix.length),
        headers,
        localAddress: fromAddress,
        onError: () => {
          if (!res.headersSent) res.writeHead(502);
          res.end('502: the add-on is not answering');
        },
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new IngressProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
