import { describe, expect, test } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { StatusModel } from '../../src/status/status-model.js';
import { FakeClock, memoryLogger } from '../support/fakes.js';

function app(options: { peer?: string; healthy?: boolean } = {}) {
  const status = new StatusModel(new FakeClock());
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
});
