// The link the notifications carry to the add-on's page. Its form depends on
// Home Assistant's version, read from Core (GET /api/config). Core may be
// down when the add-on starts: then the older form is used and the version is
// asked again whenever a link is made, until Core says it; a notification
// whose link changed is posted again (its message changed, notifications.ts).

/**
 * The add-on's page in Home Assistant's frontend. Since add-ons became apps
 * (2026.2) the frontend opens an app's ingress page at `/app/<slug>` (its
 * "Open web UI" button; hass_frontend 20261028.4 in 2026.11 has no
 * `/hassio/ingress` route left); before, at `/hassio/ingress/<slug>`.
 */
export function panelPath(slug: string, coreVersion: string | undefined): string {
  const [year, month] = (coreVersion ?? '').split('.').map(Number);
  const apps =
    year !== undefined && month !== undefined && (year > 2026 || (year === 2026 && month >= 2));
  return apps ? `/app/${slug}` : `/hassio/ingress/${slug}`;
}

export class PanelLink {
  readonly #readVersion: () => Promise<string | undefined>;
  #version: string | undefined;
  #asking: Promise<void> | undefined;

  /** `readVersion` rejects or resolves undefined while Core cannot say. */
  constructor(readVersion: () => Promise<string | undefined>) {
    this.#readVersion = readVersion;
  }

  /** Asks Core for its version unless known or already asking; resolves when the answer (or failure) is in. */
  ask(): Promise<void> {
    if (this.#version !== undefined) return Promise.resolve();
    this.#asking ??= this.#readVersion()
      .then(
        (version) => {
          this.#version = version;
        },
        () => undefined, // Core is down: the alerts loop reports it; asked again at the next link.
      )
      .finally(() => {
        this.#asking = undefined;
      });
    return this.#asking;
  }

  /** The page's path for `slug`; while the version is unknown, the older form and a new question to Core. */
  url(slug: string): string {
    if (this.#version === undefined) void this.ask();
    return panelPath(slug, this.#version);
  }
}
