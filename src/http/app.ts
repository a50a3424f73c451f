import { Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { Clock } from '../clock.js';
import { type Logger, redact } from '../log.js';
import type { StatusModel } from '../status/status-model.js';
import { type AllowedHostsOptions, allowedHosts } from './allowed-hosts.js';
import { type IngressGuardOptions, ingressGuard } from './ingress-guard.js';
import { createMetrics } from './metrics.js';
import type { PageExtras } from './page/extras.js';
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
  /** Set when running standalone: only requests naming this server in Host are answered. */
  hosts?: AllowedHostsOptions;
  /** The page's history, IAM policy and alerts line (src/http/page/extras.tsx). */
  page?: PageExtras;
  /** What the action endpoints run; absent while misconfigured. */
  actions?: {
    refresh(): Promise<{ ok: boolean; message: string }>;
    rotate(): Promise<{ ok: boolean; message: string }>;
    /** A consumer's "Rotate now" and "Revoke" (docs/rotation.md, "Consumers"). */
    rotateConsumer?(name: string): Promise<{ ok: boolean; message: string }>;
    revokeConsumer?(name: string): Promise<{ ok: boolean; message: string }>;
  };
}

/**
 * State-changing requests must come from the page itself: browsers send
 * Sec-Fetch-Site (and Origin) on POSTs, so a page on another site cannot
 * make the user's browser press our buttons. Host itself is checked before
 * (the ingress guard, or allowedHosts standalone), so comparing with it is
 * sound. Not hono/csrf: it compares Origin with the URL the server sees,
 * which behind ingress is the add-on's internal address rather than the
 * browser's, and it refuses requests that carry neither header (scripts,
 * curl), which cannot be forged by a browser anyway.
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
  else if (deps.hosts) app.use('*', allowedHosts(deps.hosts));
  // Set before the handler runs: headers added to a finished response (as
  // hono/secure-headers does, after `await next()`) make the Node adapter
  // build a full Response for every request, which cost /api/status a large
  // share of its throughput. secure-headers serves the page, where it adds
  // more and the rate is low.
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
  // (Home Assistant's, through ingress). No HSTS: through ingress this is
  // Home Assistant's origin, and that is not ours to pin to HTTPS.
  const pageHeaders = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: [NONCE],
      styleSrc: [NONCE],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      baseUri: ["'self'"],
      formAction: ["'none'"],
      frameAncestors: ["'self'"],
    },
    strictTransportSecurity: false,
    // Same reason: the first document of an origin decides its agent cluster,
    // and through ingress that is Home Assistant's frontend, not this page.
    originAgentCluster: false,
  });
  app.get('/', pageHeaders, (c) => {
    const nonce = c.get('secureHeadersNonce') as string;
    const prefix = c.req.header('X-Ingress-Path');
    const base = prefix && INGRESS_PATH.test(prefix) ? `${prefix}/` : undefined;
    c.header('Cache-Control', 'no-store');
    return c.html(renderPage(deps.status.snapshot(), deps.clock.now(), nonce, base, deps.page));
  });

  app.get('/partial', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.html(renderPartial(deps.status.snapshot(), deps.clock.now(), deps.page));
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
      deps.log.info(`${action} requested by ${userOf(c.req.header('X-Remote-User-Name'))}`);
      const outcome = await deps.actions[action]();
      return c.json({ ok: outcome.ok, message: redact(outcome.message) }, outcome.ok ? 200 : 502);
    });
  }

  // Per consumer, with the same guards; the name is checked against the options by the manager.
  for (const action of ['rotate', 'revoke'] as const) {
    app.post(`/api/consumers/:name/${action}`, sameOrigin(), async (c) => {
      c.header('Cache-Control', 'no-store');
      const name = c.req.param('name');
      if (!deps.actions) {
        return c.json({ ok: false, message: `Nothing to ${action}: fix the options first.` }, 409);
      }
      if (!/^[a-z0-9_-]{1,64}$/.test(name))
        return c.json({ ok: false, message: 'No consumer has that name.' }, 404);
      deps.log.info(
        `${action} of consumer ${name} requested by ${userOf(c.req.header('X-Remote-User-Name'))}`,
      );
      const run = action === 'rotate' ? deps.actions.rotateConsumer : deps.actions.revokeConsumer;
      if (!run) return c.json({ ok: false, message: 'No consumers are configured.' }, 409);
      const outcome = await run(name);
      return c.json({ ok: outcome.ok, message: redact(outcome.message) }, outcome.ok ? 200 : 502);
    });
  }

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    // Internals never leak into a response; the log redacts what it prints.
    deps.log.error(`${c.req.method} ${c.req.path.slice(0, MAX_LOGGED * 4)} failed`, error);
    return c.json({ error: 'Internal error; see the add-on log.' }, 500);
  });
  return app;
}

/** How much of a header is logged: user names are short; a 15 kB one is an attack or a bug. */
const MAX_LOGGED = 64;

/** The user the Supervisor names, as it may be logged: printable, clipped. */
function userOf(name: string | undefined): string {
  if (name === undefined || name.trim() === '') return 'a local user';
  const printable = name.replace(/\p{C}/gu, '?');
  return JSON.stringify(
    printable.length > MAX_LOGGED ? `${printable.slice(0, MAX_LOGGED)}…` : printable,
  );
}
