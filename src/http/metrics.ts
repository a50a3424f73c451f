import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import { STATES, type StatusModel } from '../status/status-model.js';

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
  return registry;
}
