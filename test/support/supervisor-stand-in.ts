import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward } from './forward.js';
import type { MqttBroker } from './mosquitto.js';

/**
 * A loopback stand-in for the Supervisor as an add-on sees it, for the parts
 * alerts use. Like the real Core proxy (supervisor/api/proxy.py, APIProxy):
 * only the add-on's SUPERVISOR_TOKEN gets in (Authorization: Bearer, or
 * X-Ha-Access); anything else is answered 401 by the proxy itself and never
 * reaches Core; `hassio…` paths are refused 403 (CORE_API_DENY); the request
 * goes on to Core with the proxy's own credentials (here the harness's admin
 * token, as the Supervisor uses Core's token for it), and 502 when Core is
 * down. `GET /addons/self/info` answers the way supervisor/api/addons.py does
 * (`{result, data}`), with a repository-prefixed slug. `GET /services/mqtt`
 * answers as supervisor/api/services.py `get_service_v1` does: the broker and
 * its credentials when one is offered (`services: mqtt:want` in config.yaml),
 * else 400 "Service not enabled".
 */
export class SupervisorStandIn {
  readonly url: string;
  readonly addonToken: string;
  readonly slug = 'local_ha_token_manager';
  /** The installed version, as `/addons/self/info` reports it (supervisor/api/addons.py ATTR_VERSION). */
  readonly version = '0.1.0';
  /** Every request that reached Core through the proxy: method, path and body. */
  readonly forwarded: string[] = [];
  /** Requests the proxy refused with 401. */
  refused = 0;
  /** The broker offered as the `mqtt` service, if any. */
  readonly mqtt: MqttBroker | undefined;
  readonly #server: Server;

  private constructor(server: Server, url: string, addonToken: string, mqtt?: MqttBroker) {
    this.#server = server;
    this.url = url;
    this.addonToken = addonToken;
    this.mqtt = mqtt;
  }

  static async start(
    coreUrl: string,
    coreToken: string,
    options: { mqtt?: MqttBroker } = {},
  ): Promise<SupervisorStandIn> {
    const addonToken = `supervisor-token-${process.pid}-${Date.now()}`;
    let standIn: SupervisorStandIn | undefined;
    const server = createServer((req, res) => standIn?.handle(req, res, coreUrl, coreToken));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    standIn = new SupervisorStandIn(server, `http://127.0.0.1:${port}`, addonToken, options.mqtt);
    return standIn;
  }

  handle(req: IncomingMessage, res: ServerResponse, coreUrl: string, coreToken: string): void {
    const bearer = (req.headers.authorization ?? '').split(' ').at(-1) ?? '';
    const presented = req.headers.authorization ? bearer : String(req.headers['x-ha-access'] ?? '');
    if (presented !== this.addonToken) {
      this.refused++;
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('401: Unauthorized');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === '/addons/self/info') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          result: 'ok',
          data: { slug: this.slug, name: 'HA Token Manager', version: this.version },
        }),
      );
      return;
    }
    if (req.method === 'GET' && url.pathname === '/services/mqtt') {
      const body = this.mqtt
        ? {
            result: 'ok',
            data: { ...this.mqtt, ssl: false, protocol: '3.1.1', addon: 'core_mosquitto' },
          }
        : { result: 'error', message: 'Service not enabled', data: {} };
      res
        .writeHead(this.mqtt ? 200 : 400, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(body));
      return;
    }
    const core = /^\/core\/api\/(.*)$/.exec(url.pathname);
    if (!core) {
      res.writeHead(404).end();
      return;
    }
    if (/^hassio(?:\/|_)/.test(core[1] ?? '')) {
      res.writeHead(403).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.forwarded.push(`${req.method} /api/${core[1]} ${Buffer.concat(chunks).toString()}`);
    });
    forward(req, res, new URL(coreUrl), {
      path: `/api/${core[1]}${url.search}`,
      headers: {
        authorization: `Bearer ${coreToken}`,
        ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}),
        ...(req.headers['content-length']
          ? { 'content-length': req.headers['content-length'] }
          : {}),
      },
      onError: () => {
        if (!res.headersSent) res.writeHead(502).end('502: Bad Gateway');
      },
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
