import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { forward } from './forward.js';

/**
 * Stands in front of the real Home Assistant and, once armed, cuts the
 * add-on's WebSocket right after forwarding a command of a given type: the
 * command reaches Home Assistant and is carried out, but its answer never
 * reaches the add-on — a lost answer, on cue. HTTP passes through.
 *
 * It reads the client's frames (RFC 6455 §5.2: client frames are masked);
 * the upgrade request goes without `Sec-WebSocket-Extensions`, so no
 * permessage-deflate is negotiated and a frame's text can be read as is.
 */
export class WsCutProxy {
  readonly url: string;
  /** The command type whose frame is the last one forwarded; cleared once it fired. */
  cutAfter: string | undefined;
  /** Commands that were cut after, in order. */
  readonly cuts: string[] = [];
  readonly #server: Server;
  readonly sockets = new Set<Socket>();

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(haUrl: string): Promise<WsCutProxy> {
    const target = new URL(haUrl);
    let proxy: WsCutProxy | undefined;
    const server = createServer((req, res) => forward(req, res, target));
    server.on('upgrade', (req, client: Socket, head: Buffer) => {
      const upstream = connect(Number(target.port), target.hostname, () => {
        const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          if (req.rawHeaders[i]?.toLowerCase() === 'sec-websocket-extensions') continue;
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        }
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        upstream.pipe(client);
        let pending = head;
        const take = (chunk: Buffer) => {
          pending = Buffer.concat([pending, chunk]);
          for (;;) {
            const frame = nextFrame(pending);
            if (!frame) return;
            pending = pending.subarray(frame.length);
            upstream.write(frame.bytes);
            const type = proxy?.cutAfter;
            if (type && frame.text?.includes(`"type":"${type}"`)) {
              proxy?.cuts.push(type);
              if (proxy) proxy.cutAfter = undefined;
              // The add-on loses its socket now; Home Assistant's side stays
              // open until it has answered, so the command is carried out.
              client.off('data', take);
              client.destroy();
              upstream.unpipe(client);
              const done = () => upstream.destroy();
              upstream.once('data', done);
              setTimeout(done, 3000).unref();
              return;
            }
          }
        };
        client.on('data', take);
        take(Buffer.alloc(0));
      });
      for (const s of [client, upstream]) {
        proxy?.sockets.add(s);
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
        s.on('close', () => {
          proxy?.sockets.delete(s);
          if (s === upstream) client.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new WsCutProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/** The first whole frame in `buf`: its bytes, and its text when it is an unfragmented text frame. */
function nextFrame(buf: Buffer): { bytes: Buffer; length: number; text?: string } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = (buf[0] as number) & 0x0f;
  const masked = ((buf[1] as number) & 0x80) !== 0;
  let length = (buf[1] as number) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const mask = masked ? buf.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (buf.length < offset + length) return undefined;
  const bytes = buf.subarray(0, offset + length);
  if (opcode !== 1) return { bytes, length: bytes.length };
  const payload = Buffer.from(buf.subarray(offset, offset + length));
  if (mask)
    for (let i = 0; i < payload.length; i++)
      payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return { bytes, length: bytes.length, text: payload.toString('utf8') };
}
