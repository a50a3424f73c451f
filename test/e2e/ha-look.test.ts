import { writeFile } from 'node:fs/promises';
import type { Frame, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { useAddons } from '../support/addon-session.js';
import { deepStyle, HA_SETTINGS_PATH, openHaSettings, sideBySide } from '../support/ha-frontend.js';
import { SHOTS, useIngressBrowser } from '../support/ingress-session.js';
import { sharedHa } from '../support/shared-ha.js';
import { putToken, ssmAddonOptions, TEST_AWS, uniqueParameter } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// The page measured against Home Assistant's own frontend (home-assistant/
// frontend: ha-card has a 1 px outline and no shadow; primary #009ac7 in
// 2026.11, dark primary #0288d1; a toolbar in the card colour; pill
// buttons with sentence-case labels; Roboto), in Debian's Chromium through a
// loopback stand-in for ingress — and against the run's real Home Assistant
// frontend, its own settings page side by side (test/support/ha-frontend.ts).
const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
const ui = useIngressBrowser(
  (...s) => addons.secret(...s),
  'supervisor-token-canary-look',
  TEST_AWS.secretAccessKey,
);

/** An add-on with its token in SSM (so Rotate now and the IAM policy show), behind the ingress stand-in. */
async function ssmAddon() {
  ssm.proxy.mode = { kind: 'pass' };
  const parameter = uniqueParameter();
  const token = addons.secret(await ha.mint(30));
  await putToken(ssm.moto, parameter, token);
  const addon = await addons.start(ssmAddonOptions(ha.url, ssm.proxy.url, parameter), {
    // SUPERVISOR_URL points nowhere: alerts fail quietly, the page is what is tested here.
    env: { ...ui.env, SUPERVISOR_URL: 'http://127.0.0.1:1' },
  });
  ui.target = addon.url;
  addon.base = `${ui.proxy.url}${ui.proxy.prefix}`;
  await addon.waitForStatus('connected', (s) => s.state === 'connected');
  return { addon, parameter };
}

async function open(scheme: 'light' | 'dark', width: number, haTheme?: { dark: boolean }) {
  const page = await ui.browser.newPage({ viewport: { width, height: 900 }, colorScheme: scheme });
  if (haTheme) {
    await page.addInitScript(
      `localStorage.setItem('selectedTheme', ${JSON.stringify(JSON.stringify({ theme: 'default', ...haTheme }))})`,
    );
  }
  await page.goto(ui.proxy.pageUrl);
  await expect.poll(() => page.locator('#overall .badge').textContent()).toBe('Connected');
  return page;
}

/** A computed style property of the first match (a string runs in the page, where the DOM lives). */
const css = (page: Page | Frame, selector: string, property: string) =>
  page.evaluate<string>(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`,
  );

describe('the page looks like Home Assistant', () => {
  test('cards with a 1 px border and no shadow, the primary colour, pill buttons in sentence case, Roboto', async () => {
    await ssmAddon();
    const page = await open('light', 1200);
    expect(await css(page, '.card', 'border-top-width')).toBe('1px');
    expect(await css(page, '.card', 'box-shadow')).toBe('none');
    expect(await css(page, 'header', 'background-color')).toBe('rgb(255, 255, 255)');
    expect(await css(page, 'button#refresh', 'border-radius')).toBe('18px');
    expect(await css(page, 'button#refresh', 'text-transform')).toBe('none');
    expect(await page.locator('button#rotate').textContent()).toBe('Rotate now');
    expect(await css(page, 'body', 'font-family')).toMatch(/^Roboto/);
    await page.close();
  });

  test('dark mode follows the Home Assistant theme over the system setting, else the system', async () => {
    await ssmAddon();
    const haDark = await open('light', 1200, { dark: true });
    expect(await haDark.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await css(haDark, 'header', 'background-color')).toBe('rgb(28, 28, 28)');
    await haDark.close();
    const haLight = await open('dark', 1200, { dark: false });
    expect(await css(haLight, 'header', 'background-color')).toBe('rgb(255, 255, 255)');
    await haLight.close();
    const system = await open('dark', 1200);
    expect(await system.locator('html').getAttribute('data-theme')).toBeNull();
    expect(await css(system, 'header', 'background-color')).toBe('rgb(28, 28, 28)');
    await system.close();
  });

  test('in Home Assistant’s frame on a phone there is no second title bar; on a desktop there is', async () => {
    await ssmAddon();
    for (const [width, display] of [
      [360, 'none'],
      [1200, 'flex'],
    ] as const) {
      const page = await ui.browser.newPage({ viewport: { width, height: 800 } });
      // A host page on the ingress origin, as Home Assistant's frontend is (the page may only be framed by its own origin).
      const host = `${ui.proxy.url}/frame-host.html`;
      await page.route(host, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<iframe src="${ui.proxy.pageUrl}" style="border:0;width:100%;height:780px"></iframe>`,
        }),
      );
      await page.goto(host);
      const frame = await (await page.waitForSelector('iframe')).contentFrame();
      await frame?.waitForSelector('html.embedded');
      expect(frame && (await css(frame, 'header', 'display'))).toBe(display);
      await page.close();
    }
  });

  test('Rotate now asks first: cancelled, nothing is sent; confirmed, it rotates', async () => {
    await ssmAddon();
    const page = await open('light', 1200);
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(new URL(r.url()).pathname);
    });
    const dialogs: string[] = [];
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.locator('button#rotate').click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toMatch(/^Rotate the token now\?/);
    expect(posts).toEqual([]);
    page.once('dialog', (d) => void d.accept());
    await page.locator('button#rotate').click();
    await expect
      .poll(() => page.locator('#action-result').textContent(), { timeout: 30_000 })
      .toMatch(/^Done: /);
    expect(posts).toEqual([`${ui.proxy.prefix}/api/rotate`]);
    await page.close();
  });

  test('a link to the Security page, the IAM policy with the parameter ARN, the 24-hour history as inline SVG', async () => {
    const { parameter } = await ssmAddon();
    const page = await open('light', 1200);
    const link = page.locator('a[href="/profile/security"]');
    expect(await link.getAttribute('target')).toBe('_top');
    const policy = JSON.parse((await page.locator('#iam-policy').textContent()) ?? '');
    expect(policy.Statement[0].Resource).toBe(
      `arn:aws:ssm:${TEST_AWS.region}:<your-account-id>:parameter${parameter}`,
    );
    expect(await page.locator('#history svg rect.bar-ok').count()).toBeGreaterThan(0);
    await page.close();
  });

  test('measured against Home Assistant’s own settings page: the same card outline, no shadow, card colour, primary colour and typeface, light and dark', async () => {
    await ssmAddon();
    const measured: Record<string, Record<string, Record<string, string>>> = {};
    for (const scheme of ['light', 'dark'] as const) {
      const ours = await open(scheme, 1200);
      const theirs = await openHaSettings(ui.browser, ha, scheme, 1200);
      const root = (page: Page, name: string) =>
        page.evaluate<string>(
          `getComputedStyle(document.documentElement).getPropertyValue(${JSON.stringify(name)}).trim().toLowerCase()`,
        );
      const values = {
        ours: {
          cardBorder: `${await css(ours, '.card', 'border-top-width')} ${await css(ours, '.card', 'border-top-style')}`,
          cardShadow: await css(ours, '.card', 'box-shadow'),
          cardRadius: await css(ours, '.card', 'border-top-left-radius'),
          cardBackground: await css(ours, '.card', 'background-color'),
          primary: await root(ours, '--primary'),
          darkPrimary: await root(ours, '--primary-dark'),
          font: await css(ours, 'body', 'font-family'),
          buttonRadius: await css(ours, 'button#refresh', 'border-top-left-radius'),
          buttonTransform: await css(ours, 'button#refresh', 'text-transform'),
          header: await css(ours, 'header', 'background-color'),
          headerText: await css(ours, 'header', 'color'),
          headerHeight: await css(ours, 'header', 'height'),
          headerRule: await css(ours, 'header', 'border-bottom-style'),
          title: `${await css(ours, 'header h1', 'font-size')} ${await css(ours, 'header h1', 'font-weight')}`,
          text: await css(ours, 'body', 'color'),
          cardOutline: await css(ours, '.card', 'border-top-color'),
        },
        homeAssistant: {
          cardBorder: `${await deepStyle(theirs, 'ha-card', 'border-top-width')} ${await deepStyle(theirs, 'ha-card', 'border-top-style')}`,
          cardShadow: await deepStyle(theirs, 'ha-card', 'box-shadow'),
          cardRadius: await deepStyle(theirs, 'ha-card', 'border-top-left-radius'),
          cardBackground: await deepStyle(theirs, 'ha-card', 'background-color'),
          primary: (await deepStyle(theirs, 'home-assistant', '--primary-color')).toLowerCase(),
          darkPrimary: (
            await deepStyle(theirs, 'home-assistant', '--dark-primary-color')
          ).toLowerCase(),
          font: await deepStyle(theirs, 'ha-card', 'font-family'),
          buttonRadius: await deepStyle(theirs, 'ha-button >> button', 'border-top-left-radius'),
          buttonTransform: await deepStyle(theirs, 'ha-button >> button', 'text-transform'),
          header: await deepStyle(theirs, '.toolbar', 'background-color'),
          headerText: await deepStyle(theirs, '.toolbar', 'color'),
          headerHeight: await deepStyle(theirs, '.toolbar', 'height'),
          headerRule: await deepStyle(theirs, '.toolbar', 'border-bottom-style'),
          title: `${await deepStyle(theirs, '.toolbar .main-title', 'font-size')} ${await deepStyle(theirs, '.toolbar .main-title', 'font-weight')}`,
          text: await deepStyle(theirs, '.toolbar .main-title', 'color'),
          cardOutline: await deepStyle(theirs, 'ha-card', 'border-top-color'),
        },
      };
      measured[scheme] = values;
      const { ours: o, homeAssistant: h } = values;
      expect(o.cardBorder, `${scheme}: card outline`).toBe(h.cardBorder);
      expect(o.cardShadow, `${scheme}: card shadow`).toBe(h.cardShadow);
      expect(o.cardRadius, `${scheme}: card radius`).toBe(h.cardRadius);
      expect(o.cardBackground, `${scheme}: card colour`).toBe(h.cardBackground);
      expect(o.primary, `${scheme}: primary colour`).toBe(h.primary);
      expect(o.darkPrimary, `${scheme}: dark primary colour`).toBe(h.darkPrimary);
      expect(o.font.split(',')[0], `${scheme}: typeface`).toBe(h.font.split(',')[0]);
      expect(o.buttonTransform, `${scheme}: button labels`).toBe(h.buttonTransform);
      // The settings pages' toolbar: the card colour, the text colour, 56 px, no rule, a 20 px title.
      expect(o.header, `${scheme}: header colour`).toBe(h.header);
      expect(o.headerText, `${scheme}: header text`).toBe(h.headerText);
      expect(o.headerHeight, `${scheme}: header height`).toBe(h.headerHeight);
      expect(o.headerRule, `${scheme}: no rule under the header`).toBe(h.headerRule);
      expect(o.title, `${scheme}: title size and weight`).toBe(h.title);
      expect(o.text, `${scheme}: text colour`).toBe(h.text);
      expect(o.cardOutline, `${scheme}: card outline colour`).toBe(h.cardOutline);
      // Pills both: Home Assistant's radius is 9999px, ours half the 36 px height.
      expect(Number.parseFloat(o.buttonRadius) * 2).toBeGreaterThanOrEqual(36);
      expect(Number.parseFloat(h.buttonRadius) * 2).toBeGreaterThanOrEqual(36);
      await ours.close();
      await theirs.close();
    }
    await writeFile('test-results/ha-look-measured.json', `${JSON.stringify(measured, null, 2)}\n`);
    console.log(
      `[ha-look] ours vs Home Assistant ${HA_SETTINGS_PATH}:\n${JSON.stringify(measured, null, 2)}`,
    );
  });

  test('screenshots: light and dark, desktop and 360 px, beside Home Assistant’s own settings page', async () => {
    await ssmAddon();
    for (const scheme of ['light', 'dark'] as const) {
      for (const [name, width] of [
        ['desktop', 1200],
        ['phone', 360],
      ] as const) {
        const page = await open(scheme, width);
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - window.innerWidth',
        );
        expect(overflow, `${scheme} ${name} scrolls sideways`).toBeLessThanOrEqual(0);
        const addonShot = `${SHOTS}/ha-look-addon-${scheme}-${name}.png`;
        await page.screenshot({ path: addonShot, fullPage: true });
        await page.close();
        const haPage = await openHaSettings(ui.browser, ha, scheme, width);
        const haShot = `${SHOTS}/ha-look-ha-settings-${scheme}-${name}.png`;
        await haPage.screenshot({ path: haShot });
        await haPage.close();
        await sideBySide(
          ui.browser,
          [
            { caption: `HA Token Manager (${scheme}, ${width} px)`, png: addonShot },
            {
              caption: `Home Assistant ${HA_SETTINGS_PATH} (${scheme}, ${width} px)`,
              png: haShot,
            },
          ],
          width,
          `${SHOTS}/compare-${scheme}-${name}.png`,
        );
      }
    }
  });
});
