import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { forward } from './forward.js';

/**
 * Stands in front of the real Home Assistant (HTTP and WebSocket) to produce
 * what cannot be provoked on cue: `failApiChecks` makes `GET /api/` answer
 * 503, as Core does while it stops — a hiccup in the middle of a rotation.
 */
export class HaProxy {
  readonly url: string;
  failApiChecks = false;
  readonly #server: Server;
  readonly sockets = new Set<Socket>();

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(haUrl: string): Promise<HaProxy> {
    const target = new URL(haUrl);
    let proxy: HaProxy | undefined;
    const server = createServer((req, res) => {
      if (proxy?.failApiChecks && req.method === 'GET' && req.url === '/api/') {
        req.resume();
        res.writeHead(503).end('503: Home Assistant is not ready');
        return;
      }
      forward(req, res, target);
    });
    // WebSocket upgrades pass through untouched, byte for byte.
    server.on('upgrade', (req, client: Socket, head: Buffer) => {
      const upstream = connect(Number(target.port), target.hostname, () => {
        const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      for (const s of [client, upstream]) {
        proxy?.sockets.add(s);
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
        s.on('close', () => proxy?.sockets.delete(s));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new HaProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
