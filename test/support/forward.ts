import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';

/** Passes one HTTP request on to `target` and its answer back: the core of every test proxy. */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  options: {
    path?: string;
    headers?: IncomingHttpHeaders;
    localAddress?: string;
    onError?: () => void;
    /** Called instead of passing the answer back (the answer is then read and thrown away). */
    onAnswer?: () => void;
    /** Holds the answer back this long before passing it on (the request has landed by then). */
    answerDelayMs?: number;
  } = {},
): void {
  const upstream = request(
    {
      hostname: target.hostname,
      port: target.port,
      localAddress: options.localAddress,
      path: options.path ?? req.url,
      method: req.method,
      headers: options.headers ?? req.headers,
    },
    (answer) => {
      if (options.onAnswer) {
        answer.resume();
        answer.on('end', options.onAnswer);
        return;
      }
      const pass = () => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      };
      if (options.answerDelayMs) setTimeout(pass, options.answerDelayMs);
      else pass();
    },
  );
  upstream.on('error', options.onError ?? (() => res.destroy()));
  req.pipe(upstream);
}
