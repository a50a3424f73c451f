import type { StatusSnapshot } from '../../status/status-model.js';
import { Live, Page } from './page.js';

/** The whole page, as a string (all components are synchronous). */
export function renderPage(s: StatusSnapshot, now: number, nonce: string, base?: string): string {
  return `<!doctype html>${(<Page s={s} now={now} nonce={nonce} base={base} />).toString()}`;
}

/** The live sections only, for the page's periodic update. */
export function renderPartial(s: StatusSnapshot, now: number): string {
  return (<Live s={s} now={now} />).toString();
}
