// `npm run icons`: renders assets/icon.svg (128×128) and assets/logo.svg
// (250×100) to the icon.png and logo.png the add-on store shows, with the
// same Debian Chromium the browser tests use. Run after editing an SVG.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../test/support/browser.js';

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

async function main(): Promise<void> {
  const browser = await launchBrowser();
  try {
    for (const [svg, png, width, height] of [
      ['assets/icon.svg', 'icon.png', 128, 128],
      ['assets/logo.svg', 'logo.png', 250, 100],
    ] as const) {
      const page = await browser.newPage({ viewport: { width, height } });
      const markup = await readFile(root(svg), 'utf8');
      await page.setContent(`<style>html,body{margin:0;background:transparent}</style>${markup}`);
      await page.screenshot({
        path: root(png),
        omitBackground: true,
        clip: { x: 0, y: 0, width, height },
      });
      await page.close();
      process.stdout.write(`${svg} -> ${png} (${width}x${height})\n`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`icons failed: ${String(error)}\n`);
  process.exit(1);
});
