import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of Home Assistant that can hold WebSocket auth
 * messages: with `hold` set, a socket's upgrade request passes (so HA sends
 * auth_required) but what the client sends next waits until `release()` —
 * a socket caught between sending its token and hearing auth_ok. Plain HTTP
 * passes untouched.
 */
export class AuthHoldProxy {
  readonly url: string;
  hold = false;
  private readonly held: (() => void)[] = [];
  private readonly webSockets = new Set<Socket>();
  private readonly all = new Set<Socket>();
  readonly #server: Server;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(haUrl: string): Promise<AuthHoldProxy> {
    const target = new URL(haUrl);
    let proxy: AuthHoldProxy | undefined;
    const server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      let first = true;
      client.on('data', (chunk: Buffer) => {
        if (first) {
          first = false;
          if (/^upgrade: websocket/im.test(chunk.toString('latin1'))) proxy?.webSockets.add(client);
        } else if (proxy?.hold && proxy.webSockets.has(client)) {
          client.pause();
          proxy.held.push(() => {
            upstream.write(chunk);
            client.resume();
          });
          return;
        }
        upstream.write(chunk);
      });
      upstream.pipe(client);
      for (const s of [client, upstream]) {
        proxy?.all.add(s);
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
        s.on('close', () => {
          proxy?.all.delete(s);
          proxy?.webSockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new AuthHoldProxy(
      server,
      `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    );
    return proxy;
  }

  /** Auth messages waiting for `release()`. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Stops holding and lets every held message through. */
  release(): void {
    this.hold = false;
    for (const send of this.held.splice(0)) send();
  }

  /** Cuts every WebSocket, as a network blip would. */
  cutWebSockets(): void {
    for (const s of this.webSockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.all) s.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
