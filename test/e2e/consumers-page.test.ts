import { describe, expect, test } from 'vitest';
import { useAddons } from '../support/addon-session.js';
import { haCommand } from '../support/ha-commands.js';
import { SHOTS, useIngressBrowser } from '../support/ingress-session.js';
import { sharedHa } from '../support/shared-ha.js';
import { NEVER, TEST_AWS } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// The consumers table in Chromium through the ingress stand-in: 20 consumers,
// light and dark, desktop and phone; Rotate now asks first and then rotates.
const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
const ui = useIngressBrowser(
  (...s) => addons.secret(...s),
  'supervisor-token-canary-value',
  TEST_AWS.secretAccessKey,
);

describe('the consumers table', () => {
  test('20 consumers: readable light and dark, on a phone without sideways scrolling; Rotate now is confirmed', async () => {
    const path = `/htm-test/${process.pid}/${Date.now()}/page`;
    const names = Array.from({ length: 20 }, (_, i) =>
      i === 0 ? 'alexa-skill' : i === 1 ? 'lambda_backup' : `server-${i}`,
    );
    const addon = await addons.start(
      {
        home_assistant_url: ha.url,
        access_token: addons.secret(await ha.mint()),
        aws_region: TEST_AWS.region,
        aws_access_key_id: TEST_AWS.accessKeyId,
        aws_secret_access_key: TEST_AWS.secretAccessKey,
        ssm_endpoint: ssm.proxy.url,
        refresh_schedule: NEVER,
        consumers: names.map((name) => ({ name, ssm_parameter: `${path}/${name}` })),
      },
      { env: ui.env },
    );
    ui.target = addon.url;
    addon.base = `${ui.proxy.url}${ui.proxy.prefix}`;
    await addon.waitForStatus(
      '20 consumers issued',
      (s) => s.consumers.length === 20 && s.consumers.every((c) => c.state === 'ok' && !c.rotating),
      90_000,
    );
    // One of them used, so "last used" and "from" show something.
    const tokens = await haCommand<{ client_name: string | null }[]>(ha.url, ha.adminToken, {
      type: 'auth/refresh_tokens',
    });
    expect(
      tokens.filter((t) => t.client_name?.startsWith('HA Token Manager: ')).length,
    ).toBeGreaterThanOrEqual(20);

    for (const scheme of ['light', 'dark'] as const) {
      for (const [name, width] of [
        ['desktop', 1200],
        ['phone', 360],
      ] as const) {
        const page = await ui.browser.newPage({
          viewport: { width, height: 900 },
          colorScheme: scheme,
        });
        await page.goto(ui.proxy.pageUrl);
        await expect.poll(() => page.locator('#consumers tbody tr').count()).toBe(20);
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - window.innerWidth',
        );
        expect(overflow, `${scheme} ${name} scrolls sideways`).toBeLessThanOrEqual(0);
        await page.locator('#consumers').screenshot({
          path: `${SHOTS}/consumers-${scheme}-${name}.png`,
        });
        // What a phone shows first: the table's top, in one screen.
        await page.locator('#consumers').scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${SHOTS}/consumers-${scheme}-${name}-screen.png` });
        await page.close();
      }
    }

    const page = await ui.browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(ui.proxy.pageUrl);
    // Dismissed: nothing happens.
    page.once('dialog', (d) => void d.dismiss());
    await page.locator('#consumer-alexa-skill button[data-consumer-action=rotate]').click();
    expect(await page.locator('#consumer-result').textContent()).toBe('');
    // Accepted: the rotation runs and its answer is shown.
    page.once('dialog', (d) => void d.accept());
    await page.locator('#consumer-alexa-skill button[data-consumer-action=rotate]').click();
    await expect
      .poll(() => page.locator('#consumer-result').textContent(), { timeout: 30_000 })
      .toMatch(/^Done: Rotated to token ••••/);
    const html = await page.content();
    addons.record(html);
    await page.close();
  });
});
