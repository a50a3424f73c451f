import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';

/**
 * Home Assistant's own settings page in its real frontend (the run's Core
 * serves it), for the look tests to compare the add-on's page with.
 *
 * Logged in the way the frontend keeps a login: its token store in
 * localStorage (`hassTokens`; frontend src/common/auth/token_storage.ts,
 * home-assistant-js-websocket lib/auth.ts `AuthData`), here with the
 * harness's long-lived owner token and an expiry far ahead, so the frontend
 * never tries to refresh it. Dark by the frontend's own per-browser theme
 * choice (`selectedTheme`, what the profile page's theme picker stores) and
 * by the system's colour scheme.
 *
 * `/config/general` (Settings → System → General) renders with the test
 * configuration. `/profile/general` renders nothing in 2026.11: the profile
 * panel's router (hass_frontend 20261028.4, ha-panel-profile `routerOptions`)
 * has the routes dashboard, preferences, localization, browser and security,
 * and no `general` any more, so no page is chosen (`/profile/security`, the
 * add-on page's link, is still one).
 * Before the harness onboarded Core fully, every page went to
 * /onboarding.html (test/support/ha-config.ts, writeOnboardingStore).
 */
export const HA_SETTINGS_PATH = '/config/general';

export async function openHaSettings(
  browser: Browser,
  ha: { url: string; adminToken: string },
  scheme: 'light' | 'dark',
  width: number,
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: scheme });
  const tokens = {
    hassUrl: ha.url,
    clientId: `${ha.url}/`,
    access_token: ha.adminToken,
    token_type: 'Bearer',
    expires_in: 1800,
    expires: Date.now() + 86_400_000,
    refresh_token: 'unused',
  };
  const theme = { theme: 'default', dark: scheme === 'dark' };
  await page.addInitScript(
    `localStorage.setItem('hassTokens', ${JSON.stringify(JSON.stringify(tokens))});` +
      `localStorage.setItem('selectedTheme', ${JSON.stringify(JSON.stringify(theme))});`,
  );
  // The Location card's map tiles: Core would fetch them from the internet.
  await page.route('**/api/map_tiles/**', (route) => route.fulfill({ status: 404 }));
  await page.goto(`${ha.url}${HA_SETTINGS_PATH}`);
  // Locators pierce the frontend's shadow roots: the third card (Region) is the page rendered.
  await page.locator('ha-card').nth(2).waitFor();
  if (scheme === 'dark')
    // The frontend puts the dark theme's variables on <html> (applyThemesOnElement).
    await page.waitForFunction(
      `document.documentElement.style.getPropertyValue('--primary-background-color') !== ''`,
    );
  await page.evaluate('document.fonts.ready.then(() => true)');
  return page;
}

/** Computed style of the first match, found through shadow roots. */
export function deepStyle(page: Page, selector: string, property: string): Promise<string> {
  // A function made from source: the tests are compiled without the DOM's types.
  const read = new Function(
    'el',
    `return getComputedStyle(el).getPropertyValue(${JSON.stringify(property)}).trim()`,
  ) as (el: unknown) => string;
  return page.locator(selector).first().evaluate(read);
}

/**
 * Two screenshots side by side with captions, composed in Chromium itself
 * (an HTML page with the PNGs as data URLs, screenshotted): no image library.
 */
export async function sideBySide(
  browser: Browser,
  panes: { caption: string; png: string }[],
  width: number,
  out: string,
): Promise<void> {
  const figures = await Promise.all(
    panes.map(async (p) => {
      const data = (await readFile(p.png)).toString('base64');
      return `<figure><figcaption>${p.caption}</figcaption><img src="data:image/png;base64,${data}" width="${width}"></figure>`;
    }),
  );
  const page = await browser.newPage({
    viewport: { width: panes.length * (width + 16) + 16, height: 400 },
  });
  await page.setContent(
    `<!doctype html><style>body{margin:0;padding:16px;display:flex;gap:16px;align-items:flex-start;background:#808080;font:14px/1.4 sans-serif}` +
      `figure{margin:0}figcaption{color:#fff;padding:0 0 8px}img{display:block;outline:1px solid #444}</style>${figures.join('')}`,
  );
  await page.waitForFunction(`[...document.images].every((i) => i.complete && i.naturalWidth > 0)`);
  await page.screenshot({ path: out, fullPage: true });
  await page.close();
}
