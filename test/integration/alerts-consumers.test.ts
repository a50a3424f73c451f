import { mkdir, writeFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import type { Addon } from '../support/addon.js';
import { useAddons } from '../support/addon-session.js';
import { useSupervisedAlerts } from '../support/alerts-session.js';
import { entityState } from '../support/ha-watch.js';
import { waitFor } from '../support/ports.js';
import { sharedHa } from '../support/shared-ha.js';
import { NEVER, putToken, TEST_AWS } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';

// Consumers' tokens (docs/rotation.md, "Consumers") in Home Assistant's
// alerts (docs/alerts.md), against the run's real Home Assistant through the
// Supervisor stand-in.

const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
addons.secret(TEST_AWS.secretAccessKey);

const alerts = useSupervisedAlerts(addons, ssm, { events: ['ha_token_manager_rejected'] });
const { transcripts } = alerts;

/** The add-on with an access token in its options and these consumers (tokens already in SSM). */
async function startWithConsumers(consumers: { name: string; parameter: string }[]) {
  const access = addons.secret(await ha.mint(30));
  return addons.start(
    {
      home_assistant_url: ha.url,
      token_source: 'options',
      access_token: access,
      aws_region: TEST_AWS.region,
      aws_access_key_id: TEST_AWS.accessKeyId,
      aws_secret_access_key: TEST_AWS.secretAccessKey,
      ssm_endpoint: ssm.proxy.url,
      refresh_schedule: NEVER,
      consumers: consumers.map((c) => ({
        name: c.name,
        ssm_parameter: c.parameter,
        rotation_schedule: NEVER,
      })),
    },
    { env: alerts.env() },
  );
}

const entityIds = (credential: string) => [
  `binary_sensor.ha_token_manager_${credential}_problem`,
  `sensor.ha_token_manager_${credential}_state`,
  `sensor.ha_token_manager_${credential}_expires`,
  `sensor.ha_token_manager_${credential}_last_used`,
  `sensor.ha_token_manager_${credential}_last_rotated`,
];

async function waitForState(entityId: string, wanted: string, timeoutMs = 15_000) {
  const s = await waitFor(
    `${entityId} to be ${wanted}`,
    async () => {
      const s = await entityState(ha.url, ha.adminToken, entityId);
      return s?.state === wanted ? s : undefined;
    },
    timeoutMs,
  );
  transcripts.push(JSON.stringify(s));
  return s;
}

async function refresh(addon: Addon) {
  return (await addon.get('/api/refresh', { method: 'POST' })).status;
}

let runs = 0;

describe('consumers in Home Assistant', () => {
  test('a consumer token with 10 days left and no rotation planned: the expiry notification, its entities; the healthy one has none', async () => {
    const path = `/htm-test/${process.pid}/${Date.now()}/${++runs}/alerts-consumers`;
    const access = addons.secret(await ha.mint(30));
    const short = addons.secret(await ha.mint(10));
    const long = addons.secret(await ha.mint(30));
    await putToken(ssm.moto, `${path}/alexa`, short);
    await putToken(ssm.moto, `${path}/nas`, long);
    const addon = await addons.start(
      {
        home_assistant_url: ha.url,
        token_source: 'options',
        access_token: access,
        aws_region: TEST_AWS.region,
        aws_access_key_id: TEST_AWS.accessKeyId,
        aws_secret_access_key: TEST_AWS.secretAccessKey,
        ssm_endpoint: ssm.proxy.url,
        refresh_schedule: NEVER,
        consumers: [
          // A schedule that runs after the expiry: no rotation planned before it.
          { name: 'alexa', ssm_parameter: `${path}/alexa`, rotation_schedule: NEVER },
          { name: 'nas', ssm_parameter: `${path}/nas`, rotation_schedule: NEVER },
        ],
      },
      {
        env: alerts.env(),
      },
    );
    await addon.waitForStatus(
      'both consumers adopted',
      (s) => s.consumers.every((c) => c.masked !== undefined && !c.rotating),
      60_000,
    );
    const n = await waitFor(
      'the consumer expiry notification',
      () => alerts.watch.notifications.get('ha_token_manager_consumer_alexa_expiring'),
      15_000,
    );
    expect(n.message).toMatch(
      new RegExp(`^The token ••••${short.slice(-4)} of alexa expires on .* \\(in (9|10) days\\)`),
    );
    expect(alerts.watch.notifications.has('ha_token_manager_consumer_nas_expiring')).toBe(false);
    const state = (id: string) => entityState(ha.url, ha.adminToken, id);
    const problem = await waitFor('alexa problem on', async () => {
      const s = await state('binary_sensor.ha_token_manager_consumer_alexa_problem');
      return s?.state === 'on' ? s : undefined;
    });
    const healthy = await waitFor('nas state ok', async () => {
      const s = await state('sensor.ha_token_manager_consumer_nas_state');
      return s?.state === 'ok' ? s : undefined;
    });
    transcripts.push(JSON.stringify(problem), JSON.stringify(healthy));
    console.log(`[alerts] consumer expiring:\n${JSON.stringify(n, null, 2)}`);
    console.log(`[alerts] consumer alexa problem = ${JSON.stringify(problem)}`);
    console.log(`[alerts] consumer nas state = ${JSON.stringify(healthy)}`);
    expect(problem.attributes.token).toBe(`••••${short.slice(-4)}`);
  });

  test('a consumer token Home Assistant rejects while the add-on cannot publish a new one: the rejected notification, the problem sensor on, the event; beside it a healthy one; fixed, dismissed and off', async () => {
    ssm.proxy.mode = { kind: 'pass' };
    const path = `/htm-test/${process.pid}/${Date.now()}/${++runs}/alerts-consumers`;
    const bad = addons.secret(await ha.mint(30));
    const good = addons.secret(await ha.mint(30));
    await putToken(ssm.moto, `${path}/alexa`, bad);
    await putToken(ssm.moto, `${path}/nas`, good);
    // Left over from an earlier run of the add-on: gone once nas is known again.
    const leftover = 'ha_token_manager_consumer_nas_expiring';
    await fetch(`${ha.url}/api/services/persistent_notification/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ha.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ notification_id: leftover, title: 'old', message: 'from before' }),
    });
    await waitFor('the leftover notification', () => alerts.watch.notifications.has(leftover));
    const addon = await startWithConsumers([
      { name: 'alexa', parameter: `${path}/alexa` },
      { name: 'nas', parameter: `${path}/nas` },
    ]);
    await addon.waitForStatus(
      'both consumers adopted',
      (s) => s.consumers.every((c) => c.state === 'ok' && !c.rotating),
      60_000,
    );
    await waitForState('binary_sensor.ha_token_manager_consumer_alexa_problem', 'off');
    await waitFor(
      'the leftover dismissed',
      () => !alerts.watch.notifications.has(leftover),
      10_000,
    );

    // The add-on may not write the parameter (IAM without ssm:PutParameter):
    // it cannot publish a replacement, so the parameter keeps the dead token.
    ssm.proxy.mode = {
      kind: 'error',
      type: 'AccessDeniedException',
      message: `User: arn:aws:iam::123456789012:user/ha is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter${path}/alexa because no identity-based policy allows the ssm:PutParameter action`,
      onlyFor: 'PutParameter',
    };
    const eventsBefore = alerts.watch.events.length;
    await ha.revoke(bad);
    const revokedAt = Date.now();
    expect(await refresh(addon)).toBe(200);
    const id = 'ha_token_manager_consumer_alexa_rejected';
    // The rejection counts once it has lasted the grace (a minute; docs/alerts.md).
    const notification = await waitFor(
      'the rejected notification',
      () => alerts.watch.notifications.get(id),
      100_000,
      250,
    ).catch(async (error) => {
      throw new Error(
        `${error.message}; consumers: ${JSON.stringify((await addon.status()).consumers)}`,
      );
    });
    const tookMs = Date.now() - revokedAt;
    // Not before the grace: the add-on gets its minute to publish a new token by itself.
    expect(tookMs).toBeGreaterThanOrEqual(60_000);
    expect(notification.message).toContain(`alexa's token ••••${bad.slice(-4)}`);
    expect(notification.message).toContain(`SSM parameter ${path}/alexa still holds it`);
    const problem = await waitForState(
      'binary_sensor.ha_token_manager_consumer_alexa_problem',
      'on',
    );
    expect(problem.attributes.token).toBe(`••••${bad.slice(-4)}`);
    await waitForState('sensor.ha_token_manager_consumer_alexa_state', 'rejected');
    await waitForState('binary_sensor.ha_token_manager_consumer_nas_problem', 'off');
    await waitForState('sensor.ha_token_manager_consumer_nas_state', 'ok');
    const event = alerts.watch.events
      .slice(eventsBefore)
      .find((e) => e.event_type === 'ha_token_manager_rejected');
    expect(event?.data).toEqual({
      credential: 'consumer:alexa',
      name: 'alexa',
      token: `••••${bad.slice(-4)}`,
    });
    expect(alerts.watch.notifications.has('ha_token_manager_consumer_nas_rejected')).toBe(false);

    // What Home Assistant reports for one rejected and one healthy credential (the closing note).
    const reported: Record<string, unknown> = {};
    for (const entityId of [...entityIds('consumer_alexa'), ...entityIds('consumer_nas')])
      reported[entityId] = await entityState(ha.url, ha.adminToken, entityId);
    const evidence = JSON.stringify(
      {
        note: 'Written by test/integration/alerts-consumers.test.ts: what Home Assistant reports (persistent_notification over the WebSocket, GET /api/states/<id>) for a rejected consumer token (alexa) and a healthy one (nas).',
        rejectedNotificationAfterMs: tookMs,
        // Every notification Home Assistant holds for these two consumers now.
        notifications: Object.fromEntries(
          [...alerts.watch.notifications].filter(([nid]) =>
            /^ha_token_manager_consumer_(alexa|nas)_/.test(nid),
          ),
        ),
        event,
        states: reported,
      },
      null,
      2,
    );
    transcripts.push(evidence);
    // Sentences joined from parts end once: no "..".
    for (const n of alerts.watch.notifications.values())
      expect(n.message).not.toMatch(/[^.]\.\.(\s|$)/);
    for (const token of [bad, good]) expect(evidence.includes(token)).toBe(false);
    await mkdir('test-results', { recursive: true });
    await writeFile('test-results/alerts-evidence.json', `${evidence}\n`);
    console.log(`[alerts] consumer rejected → notification in ${tookMs} ms`);

    // Fixed: the add-on may write again, publishes a new token by itself.
    ssm.proxy.mode = { kind: 'pass' };
    expect(await refresh(addon)).toBe(200);
    await waitFor('the notification dismissed', () => !alerts.watch.notifications.has(id), 30_000);
    await waitForState('binary_sensor.ha_token_manager_consumer_alexa_problem', 'off', 30_000);
    await waitForState('sensor.ha_token_manager_consumer_alexa_state', 'ok', 30_000);
  }, 180_000);
});
