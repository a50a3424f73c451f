import type { StatusSnapshot } from '../../status/status-model.js';
import type { PageExtras } from './extras.js';
import { Live, Page } from './page.js';

/** The whole page, as a string (all components are synchronous). */
export function renderPage(
  s: StatusSnapshot,
  now: number,
  nonce: string,
  base?: string,
  extras?: PageExtras,
): string {
  return `<!doctype html>${(<Page s={s} now={now} nonce={nonce} base={base} extras={extras} />).toString()}`;
}

/** The live sections only, for the page's periodic update. */
export function renderPartial(s: StatusSnapshot, now: number, extras?: PageExtras): string {
  return (<Live s={s} now={now} extras={extras} />).toString();
}
