// The fleet figure (`npm run bench`): 50 consumers against the real Home
// Assistant and moto — start to all issued and validated, one rotation of
// all 50, SSM calls per hour at steady state, and RSS per consumer beside an
// add-on with the AWS SDK loaded and no consumers, measured in the same run.
import { GetParametersCommand } from '@aws-sdk/client-ssm';
import type { StatusSnapshot } from '../src/status/status-model.js';
import { Addon } from '../test/support/addon.js';
import { mintToken } from '../test/support/ha-commands.js';
import type { HomeAssistant } from '../test/support/home-assistant.js';
import { NEVER, ssmClient, TEST_AWS } from '../test/support/ssm.js';
import { fmt, rssBytes } from './stats.js';

const FLEET = 50;
/** The default refresh_schedule runs every 5 minutes. */
const REFRESHES_PER_HOUR = 12;

function options(ha: HomeAssistant, motoUrl: string, token: string, consumers: object[]) {
  return {
    home_assistant_url: ha.url,
    access_token: token,
    aws_region: TEST_AWS.region,
    aws_access_key_id: TEST_AWS.accessKeyId,
    aws_secret_access_key: TEST_AWS.secretAccessKey,
    ssm_endpoint: motoUrl,
    refresh_schedule: NEVER,
    rotation_grace_minutes: 1,
    log_level: 'warning',
    consumers,
  };
}

async function ssmCalls(addon: Addon): Promise<number> {
  const metrics = (await addon.get('/metrics')).body;
  return [...metrics.matchAll(/^ha_token_manager_ssm_calls_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

const settled = (s: StatusSnapshot) =>
  s.consumers.length === FLEET && s.consumers.every((c) => c.state === 'ok' && !c.rotating);

/** Issues the consumers, then starts the add-on again on the same DATA_DIR: its idle RSS once all are checked. */
async function steadyAddon(
  ha: HomeAssistant,
  motoUrl: string,
  consumers: { name: string; ssm_parameter: string }[],
  env: Record<string, string> = {},
): Promise<{ rss: number }> {
  const all = (s: StatusSnapshot) =>
    s.consumers.length === consumers.length &&
    s.consumers.every((c) => c.state === 'ok' && !c.rotating);
  const first = await Addon.start({
    options: options(ha, motoUrl, await mintToken(ha.url, ha.adminToken), consumers),
  });
  await first.waitForStatus('issued', all, 60_000);
  await first.stop();
  const again = await Addon.start({ dir: first.dir, env });
  await again.waitForStatus('checked again', all, 60_000);
  const rss = await idleRss(again);
  await again.stop();
  await again.dispose();
  return { rss };
}

async function idleRss(addon: Addon): Promise<number> {
  await new Promise((r) => setTimeout(r, 3000));
  return rssBytes(addon.pid ?? 0);
}

export async function fleet(
  ha: HomeAssistant,
  motoUrl: string,
  out: (line: string) => void,
): Promise<void> {
  // Fixed costs (the consumer modules, the SDK's commands) are not per consumer:
  // the slope between one consumer and fifty, both at steady state, is. Measured
  // twice: as the add-on runs, and with V8's young generation pinned to 1 MiB
  // (--max-semi-space-size=1), because checking 50 consumers at start is an
  // allocation burst that grows the young generation, and V8 keeps that memory
  // — a high-water mark, not memory held per consumer.
  const sample = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => ({
      name: `${tag}-${i}`,
      ssm_parameter: `/htm-bench/${process.pid}/${Date.now()}/${tag}-${i}`,
    }));
  const pinned = { NODE_OPTIONS: '--max-semi-space-size=1' };
  const rss = {
    one: (await steadyAddon(ha, motoUrl, sample(1, 'one'))).rss,
    fifty: (await steadyAddon(ha, motoUrl, sample(FLEET, 'fifty'))).rss,
    onePinned: (await steadyAddon(ha, motoUrl, sample(1, 'one-pinned'), pinned)).rss,
    fiftyPinned: (await steadyAddon(ha, motoUrl, sample(FLEET, 'fifty-pinned'), pinned)).rss,
  };

  const path = `/htm-bench/${process.pid}/${Date.now()}`;
  const consumers = Array.from({ length: FLEET }, (_, i) => ({
    name: `consumer-${i}`,
    ssm_parameter: `${path}/consumer-${i}`,
  }));
  const started = performance.now();
  const addon = await Addon.start({
    options: options(ha, motoUrl, await mintToken(ha.url, ha.adminToken), consumers),
  });
  await addon.waitForStatus('all issued', settled, 180_000);
  const issuedMs = performance.now() - started;

  // Validated from outside too: every parameter holds a token Home Assistant accepts.
  const moto = ssmClient(motoUrl);
  let accepted = 0;
  for (let i = 0; i < FLEET; i += 10) {
    const names = consumers.slice(i, i + 10).map((c) => c.ssm_parameter);
    const r = await moto.send(new GetParametersCommand({ Names: names, WithDecryption: true }));
    for (const p of r.Parameters ?? []) {
      const ok = await fetch(`${ha.url}/api/`, {
        headers: { Authorization: `Bearer ${p.Value}` },
      });
      if (ok.status === 200) accepted++;
    }
  }
  const fleetRss = await idleRss(addon);

  const before = await ssmCalls(addon);
  await addon.get('/api/refresh', { method: 'POST' });
  await addon.waitForStatus('refreshed', settled);
  const perRefresh = (await ssmCalls(addon)) - before;

  const callsBeforeRotation = await ssmCalls(addon);
  const rotationStarted = performance.now();
  const answers = await Promise.all(
    consumers.map((c) =>
      addon
        .get(`/api/consumers/${c.name}/rotate`, { method: 'POST' })
        .then((r) => JSON.parse(r.body) as { ok: boolean }),
    ),
  );
  const rotationMs = performance.now() - rotationStarted;
  const rotationCalls = (await ssmCalls(addon)) - callsBeforeRotation;
  await addon.stop();
  await addon.dispose();

  out(`fleet: ${FLEET} consumers against real Home Assistant and moto`);
  out(
    `  start to all issued and validated: ${fmt(issuedMs / 1000)} s (goal < 10 s; ${accepted}/${FLEET} parameters hold a token HA accepts)`,
  );
  out(
    `  one rotation of all ${FLEET}: ${fmt(rotationMs / 1000)} s, ${answers.filter((a) => a.ok).length}/${FLEET} ok, ${rotationCalls} SSM calls`,
  );
  out(
    `  SSM calls at steady state: ${perRefresh} per refresh -> ${perRefresh * REFRESHES_PER_HOUR} per hour with the default refresh_schedule (every 5 min)`,
  );
  const slope = (one: number, fifty: number) =>
    `1 consumer ${fmt(one / 2 ** 20)} MiB, ${FLEET} consumers ${fmt(fifty / 2 ** 20)} MiB -> ${fmt((fifty - one) / (FLEET - 1) / 1024)} kB per consumer`;
  out(
    `  RSS at steady state (started again on issued parameters, all checked, idle 3 s; goal < 100 kB per consumer):`,
  );
  out(`    as it runs: ${slope(rss.one, rss.fifty)}`);
  out(`    young generation pinned to 1 MiB: ${slope(rss.onePinned, rss.fiftyPinned)}`);
  out(
    `  right after issuing all ${FLEET} (the burst's high-water mark): ${fmt(fleetRss / 2 ** 20)} MiB`,
  );
}
