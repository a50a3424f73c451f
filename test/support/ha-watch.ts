import WebSocket from 'ws';

/**
 * A WebSocket session with Home Assistant as the harness's admin: subscribes
 * to events and to persistent notifications (components/persistent_notification
 * websocket_subscribe) and keeps what arrives, so a test can wait on it.
 */
export class HaWatch {
  readonly events: { event_type: string; data: Record<string, unknown> }[] = [];
  /** notification_id → the notification, as Home Assistant holds them now. */
  readonly notifications = new Map<string, { title: string; message: string }>();
  /** Every raw message, for the canary. */
  readonly transcript: string[] = [];
  readonly #socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  static open(baseUrl: string, token: string, eventTypes: readonly string[]): Promise<HaWatch> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/websocket`);
    const watch = new HaWatch(socket);
    return new Promise((resolve, reject) => {
      let id = 0;
      const pending = new Set<number>();
      socket.on('error', reject);
      socket.on('message', (raw) => {
        const text = raw.toString();
        watch.transcript.push(text);
        const m = JSON.parse(text);
        if (m.type === 'auth_required')
          socket.send(JSON.stringify({ type: 'auth', access_token: token }));
        else if (m.type === 'auth_invalid') reject(new Error('auth_invalid'));
        else if (m.type === 'auth_ok') {
          const send = (command: Record<string, unknown>) => {
            pending.add(++id);
            socket.send(JSON.stringify({ id, ...command }));
          };
          for (const event_type of eventTypes) send({ type: 'subscribe_events', event_type });
          send({ type: 'persistent_notification/subscribe' });
        } else if (m.type === 'result') {
          pending.delete(m.id);
          if (!m.success) reject(new Error(`subscription failed: ${JSON.stringify(m.error)}`));
          else if (pending.size === 0) resolve(watch);
        } else if (m.type === 'event' && m.event?.event_type) {
          watch.events.push({ event_type: m.event.event_type, data: m.event.data });
        } else if (m.type === 'event' && m.event?.notifications) {
          const { type, notifications } = m.event as {
            type: 'current' | 'added' | 'updated' | 'removed';
            notifications: Record<string, { title: string; message: string }>;
          };
          if (type === 'current') watch.notifications.clear();
          for (const [nid, n] of Object.entries(notifications)) {
            if (type === 'removed') watch.notifications.delete(nid);
            else watch.notifications.set(nid, n);
          }
        }
      });
    });
  }

  close(): void {
    this.#socket.close();
  }
}

/** An entity's state as Home Assistant's REST API reports it, or undefined (404). */
export async function entityState(
  baseUrl: string,
  token: string,
  entityId: string,
): Promise<{ state: string; attributes: Record<string, unknown> } | undefined> {
  const response = await fetch(`${baseUrl}/api/states/${entityId}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/states/${entityId}: ${response.status}`);
  return (await response.json()) as { state: string; attributes: Record<string, unknown> };
}
