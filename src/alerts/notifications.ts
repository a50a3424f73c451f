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

/** The add-on as a whole: its options need fixing (it does nothing else until then). */
export const MISCONFIGURED_ID = 'ha_token_manager_misconfigured';

export function misconfiguredNotification(reason: string, pageUrl: string): Notification {
  return {
    id: MISCONFIGURED_ID,
    title: 'HA Token Manager: Options need fixing',
    message: `${reason}\n\n[Open HA Token Manager](${pageUrl})`,
  };
}

/** Every id a notification of ours about these credentials could have (to dismiss ones from before). */
export function candidateIds(credentials: readonly ManagedCredential[]): string[] {
  return credentials.flatMap((c) => PROBLEM_KINDS.map((k) => notificationId(c.id, k)));
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

/** In the swept set: the add-on's own notifications were looked at (never a credential id, those have no `#`). */
const ADDON_SWEPT = '#addon';

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
    // show: dismiss every id a credential not swept yet could have (the
    // alerts loop runs the first reconcile only once the consumers are loaded),
    // and at the first the add-on's own "options need fixing".
    const candidates = new Set(this.#shown.keys());
    if (!this.#swept.has(ADDON_SWEPT)) candidates.add(MISCONFIGURED_ID);
    for (const c of credentials)
      if (!this.#swept.has(c.id)) for (const id of candidateIds([c])) candidates.add(id);
    for (const id of candidates) {
      if (wanted.has(id)) continue;
      await this.#api.callService('persistent_notification', 'dismiss', { notification_id: id });
      this.#shown.delete(id);
    }
    for (const c of credentials) this.#swept.add(c.id);
    this.#swept.add(ADDON_SWEPT);
  }

  /**
   * The `notifications` option is off: dismisses every notification of ours
   * these credentials could have (some may be from while it was on), once.
   */
  async dismissAll(credentials: readonly ManagedCredential[]): Promise<void> {
    const fresh = credentials.filter((c) => !this.#swept.has(c.id));
    const ids = candidateIds(fresh);
    if (!this.#swept.has(ADDON_SWEPT)) ids.unshift(MISCONFIGURED_ID);
    for (const id of ids)
      await this.#api.callService('persistent_notification', 'dismiss', { notification_id: id });
    for (const c of fresh) this.#swept.add(c.id);
    this.#swept.add(ADDON_SWEPT);
  }
}
