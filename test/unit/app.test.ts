import { describe, expect, test } from 'vitest';
import { type AppDeps, createApp } from '../../src/http/app.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock, memoryLogger } from '../support/fakes.js';

function app(
  options: {
    peer?: string;
    healthy?: boolean;
    hosts?: AppDeps['hosts'];
    actions?: AppDeps['actions'];
  } = {},
) {
  const clock = new FakeClock();
  const status = new StatusModel(clock);
  const { log, lines } = memoryLogger();
  const guard =
    options.peer === undefined
      ? undefined
      : { allowedPeer: '172.30.32.2', peerOf: () => options.peer };
  return {
    status,
    lines,
    app: createApp({
      status,
      log,
      clock,
      guard,
      hosts: options.hosts,
      actions: options.actions,
      health: () => (options.healthy === false ? { ok: false, detail: 'stopped' } : { ok: true }),
    }),
  };
}

describe('the HTTP app', () => {
  test('GET /api/status answers JSON that is never cached', async () => {
    const { app: a, status } = app();
    status.setState('connected', 'Connected.');

    const response = await a.request('/api/status');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({
      state: 'connected',
      reason: 'Connected.',
      events: [],
    });
  });

  test('GET /health is 200 even while unauthorized: a bad token is no reason to restart', async () => {
    const { app: a, status } = app();
    status.setState('unauthorized', 'Rejected.');

    const response = await a.request('/health');

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', state: 'unauthorized' });
  });

  test('GET /health is 503 when a loop of the add-on has stopped', async () => {
    const response = await app({ healthy: false }).app.request('/health');
    expect(response.status).toBe(503);
  });

  test('under the Supervisor, only the ingress proxy gets in', async () => {
    expect((await app({ peer: '172.30.32.2' }).app.request('/api/status')).status).toBe(200);
    expect((await app({ peer: '::ffff:172.30.32.2' }).app.request('/health')).status).toBe(200);
    expect((await app({ peer: '172.30.32.3' }).app.request('/api/status')).status).toBe(403);
    expect((await app({ peer: '172.30.33.1' }).app.request('/health')).status).toBe(403);
  });

  test('GET / is the page: HTML, no-store, a nonce CSP, relative URLs only, and the ingress base', async () => {
    const { app: a, status } = app();
    status.setState('connected', 'Connected.');

    const response = await a.request('/', {
      headers: { 'X-Ingress-Path': '/api/hassio_ingress/abc_DEF-123' },
    });
    const html = await response.text();

    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'nonce-[^']+'/);
    expect(html).toContain('<base href="/api/hassio_ingress/abc_DEF-123/"/>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\/(?!$)/);
    expect(html).not.toMatch(/fetch\('\//);
  });

  test('ignores an X-Ingress-Path that is not an ingress path', async () => {
    const html = await (
      await app().app.request('/', { headers: { 'X-Ingress-Path': '"><script>' } })
    ).text();
    expect(html).not.toContain('<base');
    expect(html).not.toContain('"><script>');
  });

  test('GET /partial returns the live sections only', async () => {
    const response = await app().app.request('/partial');
    const html = await response.text();

    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(html).toContain('id="overall"');
    expect(html).not.toContain('<html');
  });

  test('GET /metrics is Prometheus text with conventional names, never cached', async () => {
    const { app: a, status } = app();
    status.setState('connected', 'Connected.');
    status.count('source_reads', 'ok');
    status.count('source_reads', 'ok');
    status.count('token_rejections');

    const response = await a.request('/metrics');
    const text = await response.text();

    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(text).toContain('ha_token_manager_state{state="connected"} 1');
    expect(text).toContain('ha_token_manager_token_valid 1');
    expect(text).toContain('ha_token_manager_source_reads_total{result="ok"} 2');
    expect(text).toContain('ha_token_manager_token_rejections_total 1');
    expect(text).toMatch(/# TYPE ha_token_manager_reconnects_total counter/);
  });

  test('POST /api/refresh only: GET is not an action, and without actions it explains why', async () => {
    const { app: a } = app();

    expect((await a.request('/api/refresh')).status).toBe(404);
    const response = await a.request('/api/refresh', { method: 'POST' });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({
      ok: false,
      message: expect.stringMatching(/fix the options/),
    });
  });

  test('under the Supervisor, loopback may reach GET /health (the container health check) and nothing else', async () => {
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const a = app({
        peer,
        actions: {
          refresh: async () => ({ ok: true, message: 'x' }),
          rotate: async () => ({ ok: true, message: 'x' }),
        },
      }).app;
      expect((await a.request('/health')).status, peer).toBe(200);
      for (const path of ['/', '/api/status', '/metrics', '/partial']) {
        expect((await a.request(path)).status, `${peer} ${path}`).toBe(403);
      }
      expect((await a.request('/api/refresh', { method: 'POST' })).status, peer).toBe(403);
      expect((await a.request('/health', { method: 'POST' })).status, peer).toBe(403);
    }
    expect((await app({ peer: '127.0.0.2' }).app.request('/health')).status).toBe(403);
  });

  test('standalone, a Host the server is not reached by is refused: DNS rebinding cannot read or press anything', async () => {
    let presses = 0;
    const { app: a } = app({
      hosts: { bind: '127.0.0.1', port: 8099, extra: ['ha-box.lan', 'other.lan:9000'] },
      actions: {
        refresh: async () => {
          presses++;
          return { ok: true, message: 'done' };
        },
        rotate: async () => ({ ok: true, message: 'done' }),
      },
    });
    // What a rebound page on evil.example sends: its own name, as "same origin".
    const rebound = {
      Host: 'evil.example:8099',
      Origin: 'http://evil.example:8099',
      'Sec-Fetch-Site': 'same-origin',
    };

    const read = await a.request('/api/status', { headers: rebound });
    const press = await a.request('/api/refresh', { method: 'POST', headers: rebound });

    expect(read.status).toBe(403);
    expect(press.status).toBe(403);
    expect(presses).toBe(0);
    for (const host of [
      '127.0.0.1:8099',
      'localhost:8099',
      '[::1]:8099',
      'ha-box.lan:8099',
      'other.lan:9000',
    ]) {
      expect((await a.request('/api/status', { headers: { Host: host } })).status, host).toBe(200);
    }
    expect((await a.request('/api/status', { headers: { Host: 'ha-box.lan:9000' } })).status).toBe(
      403,
    );
    expect(
      (await a.request('/api/status')).status,
      'no Host header: not from a browser page either',
    ).toBe(403);
  });

  test("listening on every interface, the machine's own addresses are allowed", async () => {
    const { app: a } = app({
      hosts: {
        bind: '0.0.0.0',
        port: 8099,
        interfaces: () => ['127.0.0.1', '192.0.2.7', 'fe80::1'],
      },
    });

    expect((await a.request('/api/status', { headers: { Host: '192.0.2.7:8099' } })).status).toBe(
      200,
    );
    expect((await a.request('/api/status', { headers: { Host: '[fe80::1]:8099' } })).status).toBe(
      200,
    );
    expect((await a.request('/api/status', { headers: { Host: '0.0.0.0:8099' } })).status).toBe(
      403,
    );
  });

  test('the page gets secure headers with a nonce that matches its script, and no HSTS', async () => {
    const response = await app().app.request('/');
    const html = await response.text();
    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];

    expect(nonce).toBeTruthy();
    expect(html).toContain(`nonce="${nonce}"`);
    expect(csp).toContain("frame-ancestors 'self'");
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  test('a huge X-Remote-User-Name is logged clipped and printable', async () => {
    const { app: a, lines } = app({
      actions: {
        refresh: async () => ({ ok: true, message: 'done' }),
        rotate: async () => ({ ok: true, message: 'done' }),
      },
    });

    await a.request('/api/refresh', {
      method: 'POST',
      headers: { 'X-Remote-User-Name': `mallory${'\u0007x'.repeat(8000)}` },
    });

    const line = lines.find((l) => l.includes('requested by')) ?? '';
    expect(line).toMatch(/refresh requested by "mallory\?x/);
    expect(line.length).toBeLessThan(200);
    expect(line).not.toContain('\u0007');
  });

  test('notices (a damaged file) are shown on the page', async () => {
    const { app: a, status } = app();
    status.addNotice('rejected-tokens.json in /data was damaged (not valid JSON)');

    const html = await (await a.request('/')).text();

    expect(html).toMatch(
      /<ul class="notices"[^>]*><li>rejected-tokens\.json in \/data was damaged/,
    );
  });
});
