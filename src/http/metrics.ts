import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import { CONSUMER_STATES, STATES, type StatusModel } from '../status/status-model.js';

/**
 * Prometheus text for GET /metrics (prom-client does the format). Every value
 * is read from the status model at scrape time; counters the model keeps are
 * mirrored (reset, then set to the model's total), so nothing here holds state.
 */
export function createMetrics(status: StatusModel, clock: Clock): Registry {
  const registry = new Registry();
  const prefix = 'ha_token_manager_';
  const snapshot = () => status.snapshot();

  const mirror = (name: string, help: string, counter: string, labelName?: string) =>
    new Counter({
      name: `${prefix}${name}`,
      help,
      labelNames: labelName ? [labelName] : [],
      registers: [registry],
      collect() {
        this.reset();
        for (const [label, value] of status.counter(counter)) {
          if (labelName) this.inc({ [labelName]: label }, value);
          else this.inc(value);
        }
      },
    });

  new Gauge({
    name: `${prefix}state`,
    help: 'Overall state: 1 for the current one, 0 for the others.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const current = status.state;
      for (const state of STATES) this.set({ state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: `${prefix}token_valid`,
    help: 'Whether Home Assistant accepts the token in use (1) or not (0).',
    registers: [registry],
    collect() {
      this.set(status.state === 'connected' || status.state === 'degraded' ? 1 : 0);
    },
  });
  new Gauge({
    name: `${prefix}connection_up`,
    help: 'Whether the authenticated WebSocket connection to Home Assistant is open.',
    registers: [registry],
    collect() {
      this.set(snapshot().connection?.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: `${prefix}ping_rtt_seconds`,
    help: 'Round-trip time of the last WebSocket ping.',
    registers: [registry],
    collect() {
      const rtt = snapshot().connection?.pingRttMs;
      if (rtt !== undefined) this.set(rtt / 1000);
    },
  });
  new Gauge({
    name: `${prefix}seconds_since_last_validation`,
    help: 'Seconds since Home Assistant last accepted the token.',
    registers: [registry],
    collect() {
      const at = snapshot().token?.validatedAt;
      if (at) this.set(Math.max(0, (clock.now() - Date.parse(at)) / 1000));
    },
  });
  new Gauge({
    name: `${prefix}token_version`,
    help: 'Version of the SSM parameter the token in use came from.',
    registers: [registry],
    collect() {
      const version = snapshot().token?.version;
      if (version !== undefined) this.set(version);
    },
  });
  new Counter({
    name: `${prefix}reconnects_total`,
    help: 'Times the connection to Home Assistant dropped and was re-established.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(snapshot().connection?.reconnects ?? 0);
    },
  });
  mirror(
    'source_reads_total',
    'Reads of the credential source, by result.',
    'source_reads',
    'result',
  );
  mirror('refresh_runs_total', 'Runs of the refresh job, by result.', 'refresh_runs', 'result');
  mirror('token_rejections_total', 'Distinct tokens Home Assistant rejected.', 'token_rejections');
  mirror('ssm_calls_total', "The consumers' SSM calls, by operation.", 'ssm_calls', 'operation');
  // Per consumer (docs/rotation.md, "Consumers"): names are lowercase letters, digits, - and _.
  new Gauge({
    name: `${prefix}consumer_state`,
    help: "Each consumer's state: 1 for the current one, 0 for the others.",
    labelNames: ['consumer', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of snapshot().consumers)
        for (const state of CONSUMER_STATES)
          this.set({ consumer: c.name, state }, c.state === state ? 1 : 0);
    },
  });
  const perConsumer = (
    name: string,
    help: string,
    field: 'expiresAt' | 'nextRotationAt' | 'lastUsedAt',
    sign: 1 | -1,
  ) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['consumer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of snapshot().consumers) {
          const at = c[field];
          if (at) this.set({ consumer: c.name }, (sign * (Date.parse(at) - clock.now())) / 1000);
        }
      },
    });
  perConsumer(
    'consumer_seconds_to_expiry',
    "Seconds until the consumer's token ends.",
    'expiresAt',
    1,
  );
  perConsumer(
    'consumer_seconds_to_rotation',
    "Seconds until the consumer's token is rotated.",
    'nextRotationAt',
    1,
  );
  perConsumer(
    'consumer_seconds_since_use',
    "Seconds since Home Assistant saw the consumer's token used.",
    'lastUsedAt',
    -1,
  );
  return registry;
}
