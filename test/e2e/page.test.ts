import { writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import type { Addon } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { SHOTS, useIngressBrowser } from '../support/ingress-session.js';
import { sharedHa } from '../support/shared-ha.js';

// The status page in Debian's Chromium, through a loopback stand-in for the
// Supervisor's ingress. The add-on runs in Supervisor mode: it only accepts
// the proxy's address (127.0.0.2 here, 172.30.32.2 in production).
const ha = sharedHa();
const addons = useAddons();
const ui = useIngressBrowser((...s) => addons.secret(...s), 'supervisor-token-canary-value');

async function supervisedAddon(options: Record<string, unknown>): Promise<Addon> {
  const addon = await addons.start(options, { env: ui.env });
  ui.target = addon.url;
  addon.base = `${ui.proxy.url}${ui.proxy.prefix}`;
  return addon;
}

/** Opens the page and records every request it makes and every body it receives. */
async function open(scheme: 'light' | 'dark' = 'light', width = 1200) {
  const page = await ui.browser.newPage({ viewport: { width, height: 900 }, colorScheme: scheme });
  const requests: { url: string; status?: number }[] = [];
  const bodies: string[] = [];
  let bytes = 0;
  page.on('request', (r) => requests.push({ url: r.url() }));
  page.on('response', async (r) => {
    const entry = requests.find((q) => q.url === r.url() && q.status === undefined);
    if (entry) entry.status = r.status();
    const body = await r.body().catch(() => Buffer.alloc(0));
    bytes += body.length;
    bodies.push(body.toString('utf8'));
  });
  await page.goto(ui.proxy.pageUrl);
  return { page, requests, bodies, bytes: () => bytes };
}

const badge = (page: Page) => page.locator('#overall .badge');

describe('the status page through ingress', () => {
  test('loads under the prefix, every request stays under it, and nothing leaks a token', async () => {
    const token = addons.secret(await ha.mint());
    await supervisedAddon({ home_assistant_url: ha.url, access_token: token });
    const { page, requests, bodies, bytes } = await open();

    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toBe('Connected');
    // One live update: the next /partial the page fetches, read to the end.
    await (await page.waitForResponse((r) => r.url().endsWith('/partial') && r.ok())).body();
    const html = await page.content();
    await writeFile(
      'test-results/page-size.txt',
      `${bytes()} bytes for the page and one live update\n`,
    );

    for (const r of requests) {
      expect(new URL(r.url).pathname.startsWith(`${ui.proxy.prefix}/`), r.url).toBe(true);
      expect(r.status, r.url).toBeLessThan(400);
    }
    expect(requests.some((r) => r.url.endsWith('/partial'))).toBe(true);
    expect(await page.locator('.headline').textContent()).toMatch(
      /^Connected to Home Assistant 20\d\d\.\d+\.\d+ with the token from the access_token option, validated/,
    );
    expect(await page.locator('#token').textContent()).toContain(`••••${token.slice(-4)}`);
    expect(bytes()).toBeLessThan(50_000);
    for (const text of [html, ...bodies]) expect(text.includes(token)).toBe(false);
    await page.close();
  });

  test('screenshots: light and dark, desktop and 360 px wide', async () => {
    const token = addons.secret(await ha.mint());
    await supervisedAddon({ home_assistant_url: ha.url, access_token: token });
    for (const scheme of ['light', 'dark'] as const) {
      for (const [name, width] of [
        ['desktop', 1200],
        ['phone', 360],
      ] as const) {
        const { page } = await open(scheme, width);
        await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toBe('Connected');
        // A string runs in the page, where the DOM globals live.
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - window.innerWidth',
        );
        expect(overflow, `${scheme} ${name} scrolls sideways`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: `${SHOTS}/status-${scheme}-${name}.png`, fullPage: true });
        await page.close();
      }
    }
  });

  test('the state changes live when Home Assistant stops and starts', async () => {
    const token = addons.secret(await ha.mint());
    await supervisedAddon({ home_assistant_url: ha.url, access_token: token });
    const { page } = await open();
    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toBe('Connected');

    await ha.stop();
    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toBe('Not connected');
    await ha.start();
    await expect.poll(() => badge(page).textContent(), { timeout: 30_000 }).toBe('Connected');
    await page.close();
  });

  test('says "reconnecting…" while the add-on restarts, and recovers by itself', async () => {
    const token = addons.secret(await ha.mint());
    const first = await supervisedAddon({ home_assistant_url: ha.url, access_token: token });
    const { page } = await open();
    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toBe('Connected');

    await first.stop();
    await expect.poll(() => page.locator('#offline').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('#offline').textContent()).toMatch(/reconnecting/);
    await addons.start(undefined, { env: ui.env, dir: first.dir, port: first.port });
    await expect.poll(() => page.locator('#offline').isVisible(), { timeout: 30_000 }).toBe(false);
    await page.close();
  });

  test('"Refresh now" shows progress, then its result', async () => {
    const token = addons.secret(await ha.mint());
    await supervisedAddon({ home_assistant_url: ha.url, access_token: token });
    const { page, requests } = await open();
    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toBe('Connected');

    await page.click('#refresh');
    await expect
      .poll(() => page.locator('#action-result').textContent(), { timeout: 10_000 })
      .toMatch(/^Done: Token ••••\S+ unchanged/);

    const post = requests.find((r) => r.url.endsWith('/api/refresh'));
    expect(post?.status).toBe(200);
    await page.close();
  });

  test('misconfigured: each bad option is listed by name', async () => {
    await supervisedAddon({
      home_assistant_url: 'not a url',
      token_source: 'vault',
      refresh_schedule: 'often',
    });
    const { page } = await open();

    await expect
      .poll(() => badge(page).textContent(), { timeout: 15_000 })
      .toBe('Options need fixing');
    const items = await page.locator('.problems li').allTextContents();

    expect(items.map((i) => i.split(':')[0]).sort()).toEqual([
      'home_assistant_url',
      'refresh_schedule',
      'token_source',
    ]);
    await page.close();
  });

  test('a request that bypasses the ingress proxy is refused, except GET /health from loopback (the container health check)', async () => {
    const addon = await supervisedAddon({
      home_assistant_url: ha.url,
      access_token: addons.secret(await ha.mint()),
    });

    for (const path of ['/', '/api/status', '/metrics', '/partial']) {
      expect((await fetch(`${addon.url}${path}`)).status, path).toBe(403);
    }
    expect((await fetch(`${addon.url}/api/refresh`, { method: 'POST' })).status).toBe(403);
    // The container's own health check runs on loopback: GET /health only.
    expect((await fetch(`${addon.url}/health`)).status).toBe(200);
    expect((await addon.get('/health')).status).toBe(200);
  });
});
