import { randomBytes } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import type { Clock } from '../clock.js';
import { type Logger, redact } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import { type IngressGuardOptions, ingressGuard } from './ingress-guard.js';
import { createMetrics } from './metrics.js';
import { renderPage, renderPartial } from './page/render.js';

// The ingress prefix as Home Assistant sends it; anything else is ignored.
const INGRESS_PATH = /^\/api\/hassio_ingress\/[A-Za-z0-9_-]+$/;

export interface Health {
  ok: boolean;
  /** What is not working, when `ok` is false. */
  detail?: string;
}

export interface AppDeps {
  status: StatusModel;
  log: Logger;
  clock: Clock;
  /** Liveness of the process's own loops; a rejected token is not a liveness failure. */
  health: () => Health;
  /** Set when running under the Supervisor: only ingress may connect. */
  guard?: IngressGuardOptions;
  /** What the action endpoints run; absent while misconfigured. */
  actions?: {
    refresh(): Promise<{ ok: boolean; message: string }>;
    rotate(): Promise<{ ok: boolean; message: string }>;
  };
}

/**
 * State-changing requests must come from the page itself: browsers send
 * Sec-Fetch-Site (and Origin) on POSTs, so a page on another site cannot
 * make the user's browser press our buttons.
 */
function sameOrigin(): MiddlewareHandler {
  return async (c, next) => {
    const site = c.req.header('Sec-Fetch-Site');
    const origin = c.req.header('Origin');
    // Behind chained proxies X-Forwarded-Host is a list; the first is the browser's.
    const host = (c.req.header('X-Forwarded-Host') ?? c.req.header('Host'))?.split(',')[0]?.trim();
    const crossSite = site !== undefined && site !== 'same-origin' && site !== 'none';
    let foreignOrigin = false;
    if (origin !== undefined && origin !== 'null') {
      try {
        foreignOrigin = new URL(origin).host !== host;
      } catch {
        foreignOrigin = true;
      }
    } else if (origin === 'null') {
      foreignOrigin = true;
    }
    if (crossSite || foreignOrigin) {
      return c.json({ ok: false, message: 'Cross-origin request refused.' }, 403);
    }
    return next();
  };
}

/** The HTTP app. It never listens: tests call `app.request()`, main.ts serves it. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  if (deps.guard) app.use('*', ingressGuard(deps.guard));
  // Set before the handler runs: headers added to a finished response would
  // make the Node adapter build a full Response for every request.
  app.use('*', (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    return next();
  });

  // Liveness for the Supervisor's watchdog, which restarts the add-on after two
  // failures. An unauthorized token is a state to report, not a reason to restart.
  app.get('/health', (c) => {
    const health = deps.health();
    c.header('Cache-Control', 'no-store');
    return c.json(
      { status: health.ok ? 'ok' : 'failing', state: deps.status.state, detail: health.detail },
      health.ok ? 200 : 503,
    );
  });

  const metrics = createMetrics(deps.status, deps.clock);
  const noStore = { 'Cache-Control': 'no-store' };

  // The status page. No external assets; the only script and style carry a
  // per-response nonce, and the page may only be framed by its own origin
  // (Home Assistant's, through ingress).
  app.get('/', (c) => {
    const nonce = randomBytes(16).toString('base64');
    const prefix = c.req.header('X-Ingress-Path');
    const base = prefix && INGRESS_PATH.test(prefix) ? `${prefix}/` : undefined;
    c.header(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'self'; form-action 'none'; frame-ancestors 'self'`,
    );
    c.header('Cache-Control', 'no-store');
    return c.html(renderPage(deps.status.snapshot(), deps.clock.now(), nonce, base));
  });

  app.get('/partial', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.html(renderPartial(deps.status.snapshot(), deps.clock.now()));
  });

  app.get('/metrics', async (c) =>
    c.body(await metrics.metrics(), 200, { 'Content-Type': metrics.contentType, ...noStore }),
  );

  app.get('/api/status', (c) =>
    c.body(deps.status.json(), 200, {
      'Content-Type': 'application/json; charset=UTF-8',
      'Cache-Control': 'no-store',
    }),
  );

  // The actions: POST only, same origin only, and under the Supervisor only
  // through ingress (the guard). The user HA passes along is logged with each.
  for (const action of ['refresh', 'rotate'] as const) {
    app.post(`/api/${action}`, sameOrigin(), async (c) => {
      c.header('Cache-Control', 'no-store');
      if (!deps.actions) {
        return c.json({ ok: false, message: `Nothing to ${action}: fix the options first.` }, 409);
      }
      deps.log.info(
        `${action} requested by ${c.req.header('X-Remote-User-Name') ?? 'a local user'}`,
      );
      const outcome = await deps.actions[action]();
      return c.json({ ok: outcome.ok, message: redact(outcome.message) }, outcome.ok ? 200 : 502);
    });
  }

  app.onError((error, c) => {
    // Internals never leak into a response; the log redacts what it prints.
    deps.log.error(`${c.req.method} ${c.req.path} failed`, error);
    return c.json({ error: 'Internal error; see the add-on log.' }, 500);
  });
  return app;
}
