import { describe, expect, test } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock, memoryLogger } from '../support/fakes.js';

function app(options: { peer?: string; healthy?: boolean } = {}) {
  const clock = new FakeClock();
  const status = new StatusModel(clock);
  const { log } = memoryLogger();
  const guard =
    options.peer === undefined
      ? undefined
      : { allowedPeer: '172.30.32.2', peerOf: () => options.peer };
  return {
    status,
    app: createApp({
      status,
      log,
      clock,
      guard,
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
});
