// A Node consumer: asks Home Assistant for its state once a second with the
// token the HA Token Manager add-on publishes to SSM, and prints what it got.
// A rotation or revocation shows as a new version, never as a failed call.
//
// Environment: HA_URL, HA_TOKEN_PARAMETER (e.g. /home-assistant/token), and the
// usual AWS ones (AWS_REGION; AWS_ENDPOINT_URL_SSM to point at an emulator).
// From the repository, after `npm run build:clients`:
//   node clients/node/examples/watch-home-assistant.mjs
// (`DEMO_CONSUMER=node npm run demo` runs it next to the add-on.) Installed
// from npm, import from '@ha-token-manager/client' instead.
import { TokenClient, TokenClientError } from '../dist/index.js';

const ha = new TokenClient({
  parameter: process.env.HA_TOKEN_PARAMETER,
  haUrl: process.env.HA_URL,
  ttlMs: Number(process.env.HA_TOKEN_TTL ?? 300) * 1000,
  refreshAhead: true, // a long-running process: re-read SSM before the cache runs out
});

const timer = setInterval(
  async () => {
    try {
      const response = await ha.fetch('/api/config');
      const config = response.ok ? await response.json() : undefined;
      const state = config ? `${config.location_name}, ${config.state}` : await response.text();
      console.log(JSON.stringify({ status: response.status, state, token: ha.describe() }));
    } catch (error) {
      if (!(error instanceof TokenClientError)) throw error;
      console.log(JSON.stringify({ error: error.message })); // names the parameter, never the token
    }
  },
  Number(process.env.EXAMPLE_INTERVAL ?? 1) * 1000,
);

const stop = () => {
  clearInterval(timer);
  ha.close();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
