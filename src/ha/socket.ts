import {
  ERR_CANNOT_CONNECT,
  ERR_INVALID_AUTH,
  type HaWebSocket,
} from 'home-assistant-js-websocket';
import WebSocket from 'ws';
import type { Logger } from '../log.js';
import type { Token } from '../tokens/token.js';

export interface OpenSocketOptions {
  /** The whole auth phase: TCP, upgrade, auth_required, auth, auth_ok. */
  timeoutMs: number;
  log: Logger;
  /** Asked right before the token is sent; false closes the socket instead (as a rejection). */
  mayAuthenticate?: () => boolean;
  onAuthOk?: (haVersion: string) => void;
  /** HA answered `auth_invalid`; `message` is its reason. */
  onAuthInvalid?: (message: string) => void;
}

/**
 * Opens an authenticated socket the way home-assistant-js-websocket's own
 * `createSocket` does (lib/socket.ts), but with `ws` and with the Node pitfalls
 * handled: the `error` listener stays for the socket's whole life (the
 * library removes its own after auth_ok, and an unhandled `ws` error kills
 * the process), and the auth phase has a deadline. Rejects with the library's
 * numeric codes: ERR_INVALID_AUTH for a rejected (or withheld) token,
 * ERR_CANNOT_CONNECT for anything else; the dialer (dialer.ts) decides what
 * follows.
 *
 * Protocol: homeassistant/components/websocket_api/auth.py — the server sends
 * auth_required, waits 10 s for {type: auth, access_token}, answers auth_ok
 * (with ha_version) or auth_invalid (with message) and closes.
 */
export function openSocket(
  wsUrl: string,
  token: Token,
  o: OpenSocketOptions,
): Promise<HaWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, {
      handshakeTimeout: o.timeoutMs,
      perMessageDeflate: false,
    });
    let settled = false;
    const settle = (error: number | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      if (error === undefined) resolve(socket as unknown as HaWebSocket);
      else reject(error);
    };
    const deadline = setTimeout(() => {
      o.log.debug(`No auth_ok from ${wsUrl} within ${o.timeoutMs} ms`);
      socket.terminate();
      settle(ERR_CANNOT_CONNECT);
    }, o.timeoutMs);

    socket.on('error', (error) => o.log.debug(`WebSocket error: ${error.message}`));
    const onClose = () => settle(ERR_CANNOT_CONNECT);
    const onMessage = (data: WebSocket.RawData) => {
      let message: { type?: string; ha_version?: string; message?: string };
      try {
        message = JSON.parse(data.toString());
      } catch {
        socket.terminate();
        settle(ERR_CANNOT_CONNECT);
        return;
      }
      switch (message.type) {
        case 'auth_required':
          if (o.mayAuthenticate && !o.mayAuthenticate()) {
            socket.close();
            settle(ERR_INVALID_AUTH);
            break;
          }
          socket.send(JSON.stringify({ type: 'auth', access_token: token.reveal() }));
          break;
        case 'auth_ok': {
          const haVersion = message.ha_version ?? 'unknown';
          (socket as unknown as HaWebSocket).haVersion = haVersion;
          // As the library does for HA >= 2022.9: let HA batch messages (coalesce_messages).
          socket.send(
            JSON.stringify({
              type: 'supported_features',
              id: 1,
              features: { coalesce_messages: 1 },
            }),
          );
          o.onAuthOk?.(haVersion);
          settle(undefined);
          break;
        }
        case 'auth_invalid':
          o.onAuthInvalid?.(message.message ?? 'auth_invalid');
          socket.close();
          settle(ERR_INVALID_AUTH);
          break;
        default:
          break;
      }
    };
    socket.on('message', onMessage);
    socket.on('close', onClose);
  });
}
