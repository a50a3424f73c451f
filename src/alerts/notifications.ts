import type { CoreApi } from './core-api.js';
import { type ManagedCredential, PROBLEM_KINDS, type ProblemKind } from './credential-view.js';
import { objectId } from './entities.js';

// Persistent notifications in Home Assistant (components/persistent_notification:
// the create and dismiss services). One per problem and credential, with a
// stable notification_id: a changed message replaces the notification in
// place, an unchanged one is not sent again, and one whose problem is gone is
// dismissed.

export interface Notification {
  id: string;
  title: string;
  message: string;
}

const TITLES: Record<ProblemKind, string> = {
  rejected: 'Token rejected',
  unreadable: 'Token source unreadable',
  expiring: 'Token expires soon',
  unused: 'Token unused',
  'rotation-failed': 'Token rotation failed',
};

export function notificationId(credential: string, kind: ProblemKind): string {
  return `ha_token_manager_${objectId(credential)}_${kind.replace(/-/g, '_')}`;
}

/** What should be showing now; `pageUrl` is the add-on's page in Home Assistant's frontend. */
export function desiredNotifications(
  credentials: readonly ManagedCredential[],
  pageUrl: string,
): Notification[] {
  return credentials.flatMap((c) =>
    c.problems.map((p) => ({
      id: notificationId(c.id, p.kind),
      title: `HA Token Manager: ${TITLES[p.kind]} (${c.name})`,
      message: `${p.message}\n\n[Open HA Token Manager](${pageUrl})`,
    })),
  );
}

export class Notifier {
  readonly #api: CoreApi;
  /** What Home Assistant shows, as far as this process knows: id → message. */
  readonly #shown = new Map<string, string>();
  /**
   * Credentials whose every possible notification was looked at since the
   * start (or since Core restarted). A credential that appears later — the
   * consumers are reported after the first reconcile — is swept when it
   * appears: a notification from before a restart of the add-on may still show.
   */
  readonly #swept = new Set<string>();

  constructor(api: CoreApi) {
    this.#api = api;
  }

  /** Home Assistant forgot what it showed (a restart): show everything again. */
  forget(): void {
    this.#shown.clear();
    this.#swept.clear();
  }

  async reconcile(
    desired: readonly Notification[],
    credentials: readonly ManagedCredential[],
  ): Promise<void> {
    for (const n of desired) {
      if (this.#shown.get(n.id) === n.message) continue;
      await this.#api.callService('persistent_notification', 'create', {
        notification_id: n.id,
        title: n.title,
        message: n.message,
      });
      this.#shown.set(n.id, n.message);
    }
    const wanted = new Set(desired.map((n) => n.id));
    // At start a notification from before a restart of the add-on may still
    // show: dismiss every id a credential not swept yet could have.
    const candidates = new Set(this.#shown.keys());
    for (const c of credentials)
      if (!this.#swept.has(c.id))
        for (const k of PROBLEM_KINDS) candidates.add(notificationId(c.id, k));
    for (const id of candidates) {
      if (wanted.has(id)) continue;
      await this.#api.callService('persistent_notification', 'dismiss', { notification_id: id });
      this.#shown.delete(id);
    }
    for (const c of credentials) this.#swept.add(c.id);
  }
}
