// Home Assistant's REST API as an add-on reaches it: through the Supervisor's
// Core proxy (`http://supervisor/core/api/...`), authenticated with the
// add-on's SUPERVISOR_TOKEN, never with the managed token. The proxy
// (supervisor/api/proxy.py, APIProxy._check_access) accepts the token of an
// add-on with `homeassistant_api: true`, answers 401 itself for anything
// else, and forwards to Core with the Supervisor's own credentials; 502 while
// Core is down (check_api_state). So alerts still work when the managed token
// does not.

export class CoreApiError extends Error {
  override name = 'CoreApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface CoreApiOptions {
  /** The Supervisor's address, `http://supervisor` in an add-on; tests use loopback. */
  supervisorUrl: string;
  /** SUPERVISOR_TOKEN. */
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class CoreApi {
  readonly #o: CoreApiOptions;
  /** Aborted by abort(): the add-on's stop does not wait out the 10 s timeouts. */
  #inFlight = new AbortController();

  constructor(options: CoreApiOptions) {
    this.#o = options;
  }

  /** Ends every request in progress now (they fail); later requests go ahead. */
  abort(): void {
    this.#inFlight.abort(new Error('the add-on is stopping'));
    this.#inFlight = new AbortController();
  }

  callService(domain: string, service: string, data: Record<string, unknown>): Promise<unknown> {
    return this.#request('POST', `/core/api/services/${domain}/${service}`, data);
  }

  /** Creates or replaces a state-only entity (components/api: APIEntityStateView.post). */
  setState(entityId: string, state: string, attributes: Record<string, unknown>): Promise<unknown> {
    return this.#request('POST', `/core/api/states/${entityId}`, { state, attributes });
  }

  /** Removes an entity's state from Core's state machine (APIEntityStateView.delete). */
  removeState(entityId: string): Promise<unknown> {
    return this.#request('DELETE', `/core/api/states/${entityId}`);
  }

  /** The entity's state, or undefined when Core does not know it (404). */
  async getState(
    entityId: string,
  ): Promise<{ state: string; attributes?: Record<string, unknown> } | undefined> {
    try {
      return (await this.#request('GET', `/core/api/states/${entityId}`)) as {
        state: string;
        attributes?: Record<string, unknown>;
      };
    } catch (error) {
      if (error instanceof CoreApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Core's configuration (components/api: APIConfigView): its `version`, the loaded `components`. */
  /** Every state Core holds (`GET /api/states`): for finding our entity under an id the user renamed. */
  async states(): Promise<
    { entity_id: string; state: string; attributes?: Record<string, unknown> }[]
  > {
    return (await this.#request('GET', '/core/api/states')) as {
      entity_id: string;
      state: string;
      attributes?: Record<string, unknown>;
    }[];
  }

  async config(): Promise<{ version?: string; state?: string; components?: string[] }> {
    return (await this.#request('GET', '/core/api/config')) as {
      version?: string;
      state?: string;
      components?: string[];
    };
  }

  fireEvent(type: string, data: Record<string, unknown>): Promise<unknown> {
    return this.#request('POST', `/core/api/events/${type}`, data);
  }

  /** The Supervisor's own API: `GET /addons/self/info` (`{result, data}`), e.g. the real slug. */
  async supervisor(path: string): Promise<Record<string, unknown>> {
    const answer = (await this.#request('GET', path)) as { data?: Record<string, unknown> };
    return answer.data ?? {};
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const doFetch = this.#o.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(`${this.#o.supervisorUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.#o.token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any([
          AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
          this.#inFlight.signal,
        ]),
      });
    } catch (error) {
      throw new CoreApiError(`${method} ${path}: the Supervisor could not be reached`, undefined, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      // Only the status: an error page is not ours to repeat.
      throw new CoreApiError(
        `${method} ${path}: ${response.status}${response.status === 401 ? ' (the Supervisor refused the add-on token; is homeassistant_api set?)' : ''}`,
        response.status,
      );
    }
    return text ? JSON.parse(text) : undefined;
  }
}
