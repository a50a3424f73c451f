import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { addonNodeVersion } from './addon-node.js';
import { addMqttIntegration } from './ha-mqtt.js';
import { type HaRelease, HomeAssistant, type HomeAssistantInfo } from './home-assistant.js';
import { Mosquitto, type MqttBroker } from './mosquitto.js';
import { Moto } from './moto.js';

export interface SharedHa extends HomeAssistantInfo {
  /** Loopback endpoint that stops and starts the shared Core (POST /stop, POST /start). */
  controlUrl: string;
  coldStartMs: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    ha: SharedHa;
    motoUrl: string;
    /** The broker the shared Home Assistant's MQTT integration uses (integration project only). */
    mqtt: MqttBroker | undefined;
  }
}

const WHERE: Record<HaRelease, string> = {
  current: 'the main target, in a Debian forky root',
  compat: 'the oldest supported release, for the compatibility subset',
};

/** The integration project: Home Assistant 2026.11.0. */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return startShared(project, 'current');
}

/**
 * One Home Assistant and one moto per project for the whole run (2 cores:
 * never one per test). Test workers cannot call into this process, so a tiny
 * loopback control endpoint lets them stop and start Core to provoke restarts.
 */
export async function startShared(
  project: TestProject,
  release: HaRelease,
): Promise<() => Promise<void>> {
  const started = Date.now();
  const [ha, moto, mosquitto] = await Promise.all([
    HomeAssistant.create(release),
    Moto.start(),
    // The MQTT tests run against 2026.11 only; the compat subset does not need a broker.
    release === 'current' ? Mosquitto.start() : undefined,
  ]);
  const coldStartMs = Date.now() - started;
  // Home Assistant's MQTT integration, set up once by its config flow; it is
  // kept in Core's .storage, so it is back after the tests restart Core.
  if (mosquitto) await addMqttIntegration(ha.url, ha.adminToken, mosquitto.broker);
  process.stderr.write(
    `[ha] ${project.name}: Home Assistant ${ha.version} (${WHERE[release]}) ready at ${ha.url} in ${coldStartMs} ms; ` +
      `the add-on runs on Node ${addonNodeVersion()}, the tests on Node ${process.version}\n`,
  );
  let busy: Promise<unknown> = Promise.resolve();
  const control = createServer((req, res) => {
    const action =
      req.method === 'POST' && (req.url === '/stop' || req.url === '/start') ? req.url : undefined;
    if (!action) {
      res.writeHead(404).end();
      return;
    }
    busy = busy.then(async () => {
      try {
        const ms = action === '/stop' ? await ha.stop().then(() => 0) : await ha.start();
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ms }));
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const { port } = control.address() as AddressInfo;
  project.provide('ha', { ...ha.info(), controlUrl: `http://127.0.0.1:${port}`, coldStartMs });
  project.provide('motoUrl', moto.url);
  project.provide('mqtt', mosquitto?.broker);
  return async () => {
    control.close();
    await Promise.all([ha.dispose(), moto.stop(), mosquitto?.stop()]);
  };
}
