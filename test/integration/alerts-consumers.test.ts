import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useAddons } from '../support/addon-session.js';
import { entityState, HaWatch } from '../support/ha-watch.js';
import { waitFor } from '../support/ports.js';
import { sharedHa } from '../support/shared-ha.js';
import { NEVER, putToken, TEST_AWS } from '../support/ssm.js';
import { useSsm } from '../support/ssm-session.js';
import { SupervisorStandIn } from '../support/supervisor-stand-in.js';

// Consumers' tokens (docs/rotation.md, "Consumers") in Home Assistant's
// alerts (docs/alerts.md), against the run's real Home Assistant through the
// Supervisor stand-in.

const ha = sharedHa();
const addons = useAddons();
const ssm = useSsm();
addons.secret(TEST_AWS.secretAccessKey);

let supervisor: SupervisorStandIn;
let watch: HaWatch;
const transcripts: string[] = [];

beforeAll(async () => {
  supervisor = await SupervisorStandIn.start(ha.url, ha.adminToken);
  addons.secret(supervisor.addonToken);
  watch = await HaWatch.open(ha.url, ha.adminToken, ['ha_token_manager_rejected']);
});

afterAll(async () => {
  addons.record(...supervisor.forwarded, ...watch.transcript, ...transcripts);
  watch.close();
  await supervisor.close();
});

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
        env: {
          SUPERVISOR_TOKEN: supervisor.addonToken,
          SUPERVISOR_URL: supervisor.url,
          INGRESS_PEER: '127.0.0.1',
          ALERTS_CHECK_MS: '500',
        },
      },
    );
    await addon.waitForStatus(
      'both consumers adopted',
      (s) => s.consumers.every((c) => c.masked !== undefined && !c.rotating),
      60_000,
    );
    const n = await waitFor(
      'the consumer expiry notification',
      () => watch.notifications.get('ha_token_manager_consumer_alexa_expiring'),
      15_000,
    );
    expect(n.message).toMatch(
      new RegExp(`^The token ••••${short.slice(-4)} of alexa expires on .* \\(in (9|10) days\\)`),
    );
    expect(watch.notifications.has('ha_token_manager_consumer_nas_expiring')).toBe(false);
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
});
