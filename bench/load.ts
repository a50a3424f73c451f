import { Agent, request } from 'node:http';

/** Closed-loop load over keep-alive connections: requests per second for `durationMs`. */
export async function throughput(
  url: string,
  { concurrency = 16, durationMs = 3000 } = {},
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const deadline = Date.now() + durationMs;
  let done = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          hostname: target.hostname,
          port: target.port,
          path: target.pathname,
          agent,
          method: 'GET',
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  const worker = async () => {
    while (Date.now() < deadline) {
      await one();
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return (done * 1000) / (Date.now() - started);
}
