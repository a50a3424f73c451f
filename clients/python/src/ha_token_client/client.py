"""The token client: cache, single flight, rejection memory, background refresh."""

from __future__ import annotations

import json as jsonlib
import logging
import os
import time
import urllib.request
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable, Deque, Dict, Mapping, Optional, Union

from .cache import (
    EMPTY,
    Cancellable,
    Entry,
    Scheduler,
    retry_delay,
    thread_timer,
    token_hash,
    trusted_until,
)
from .errors import TokenExpiredError, TokenRejectedError
from .ha_request import Response, Urlopen, send
from .jwt import jwt_expiry
from .secret import _Secret
from .single_flight import SingleFlight
from .ssm import ParameterValue, extension_port, read_via_extension, read_via_sdk

Clock = Callable[[], float]

_REJECTED_RETRY = 1.0  # after SSM returned a rejected token, don't read again sooner

_log = logging.getLogger("ha_token_client")


class TokenClient:
    """Reads a managed Home Assistant token from SSM and keeps a copy in memory.

    Trusted for ``ttl`` seconds, never past its own ``exp`` minus ``expiry_buffer``,
    one SSM read however many threads wait, dropped at the first 401. Create it at
    module level in a Lambda so warm invocations reuse the cache.
    """

    def __init__(
        self,
        parameter: str,
        *,
        ha_url: Optional[str] = None,
        ssm_client: Any = None,
        region: Optional[str] = None,
        ttl: float = 300.0,
        expiry_buffer: float = 300.0,
        extension: Union[str, bool, int] = "auto",
        refresh_ahead: bool = False,
        clock: Clock = time.time,
        env: Optional[Mapping[str, str]] = None,
        timeout: float = 10.0,
        urlopen: Urlopen = urllib.request.urlopen,
        on_error: Optional[Callable[[BaseException], None]] = None,
        scheduler: Scheduler = thread_timer,
    ) -> None:
        env = os.environ if env is None else env
        self.parameter = parameter
        self.ha_url = ha_url.rstrip("/") if ha_url else None
        self._region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        self._ssm = ssm_client
        self._ttl = ttl
        self._buffer = expiry_buffer
        self._extension_port = extension_port(extension, env)
        self._session_token = env.get("AWS_SESSION_TOKEN")
        self._refresh_ahead = refresh_ahead
        self._clock = clock
        self._timeout = timeout
        self._urlopen = urlopen
        self._on_error = on_error
        self._rejected: Deque[str] = deque(maxlen=32)
        self._entry: Entry = EMPTY
        self._flights: SingleFlight[_Secret] = SingleFlight()
        self._rejected_read_at = float("-inf")
        self._scheduler = scheduler
        self._timer: Optional[Cancellable] = None
        self._closed = False
        self._failures = 0  # failed reads in a row, for the backoff
        self.reads = 0
        """SSM reads made (SDK or extension), for tests and metrics."""

    # -- the token ---------------------------------------------------------

    def get_token(self) -> str:
        """The token: from memory while fresh, else one SSM read shared by all waiting threads."""
        entry = self._entry
        if self._clock() < entry[0]:
            return entry[1].value
        return self._load(False).value

    def invalidate(self) -> None:
        """Drops the cached copy; the next ``get_token()`` reads SSM."""
        self._entry = EMPTY

    def mark_rejected(self, token: str) -> None:
        """Records a 401 for ``token``: it is never returned or sent again."""
        digest = token_hash(token)
        if digest not in self._rejected:
            self._rejected.append(digest)
        if self._entry.token.value == token:
            self._entry = EMPTY

    def reject(self, token: str) -> str:
        """Records a 401 and returns the replacement, read from SSM itself (not the extension,
        whose cache does not notice changes)."""
        return self._reject(token).value

    def _reject(self, token: str) -> _Secret:
        self.mark_rejected(token)
        entry = self._entry
        if self._clock() < entry.fresh_until:
            return entry.token
        return self._load(True)

    # -- Home Assistant ----------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Optional[bytes] = None,
        headers: Optional[Dict[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> Response:
        """A request to Home Assistant with the token; after a 401, one SSM re-read and one retry.

        Every 401 is a failed login in Home Assistant (components/http/ban.py), so neither
        token is ever sent a second time.
        """
        if not self.ha_url:
            raise TypeError("TokenClient needs ha_url for request() (Home Assistant base URL)")
        url = f"{self.ha_url}{'' if path.startswith('/') else '/'}{path}"
        all_headers = dict(headers or {})
        if json is not None:
            data = jsonlib.dumps(json).encode()
            all_headers["Content-Type"] = "application/json"
        wait = self._timeout if timeout is None else timeout
        entry = self._entry
        token = entry.token if self._clock() < entry.fresh_until else self._load(False)
        first = send(self._urlopen, url, method, token, data, all_headers, wait)
        if first.status != 401:
            return first
        replacement = self._reject(token.value)
        second = send(self._urlopen, url, method, replacement, data, all_headers, wait)
        if second.status == 401:
            self.mark_rejected(replacement.value)
        return second

    def fetch(self, path: str, method: str = "GET", **kwargs: Any) -> Response:
        """``request`` with the path first, like the Node client's ``fetch(path, init)``."""
        return self.request(method, path, **kwargs)

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Stops the background refresh; the client still answers from SSM afterwards."""
        self._closed = True
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def __enter__(self) -> "TokenClient":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def describe(self) -> Dict[str, Any]:
        """The cached token's masked form and version, for logs and status pages."""
        entry = self._entry
        return {
            "parameter": self.parameter,
            "version": entry.version,
            "masked": f"••••{entry.token.value[-4:]}" if entry.token else None,
        }

    def __repr__(self) -> str:
        d = self.describe()
        return f"TokenClient(parameter={d['parameter']!r}, version={d['version']!r}, token={d['masked']!r})"

    __str__ = __repr__

    # -- internals ---------------------------------------------------------

    def _load(self, fresh: bool) -> _Secret:
        # One read in flight per kind: a read after a rejection must not be
        # answered by the extension's cache, so it never joins a plain read.
        return self._flights.run(fresh, lambda: self._read(fresh))

    def _read(self, fresh: bool) -> _Secret:
        try:
            token = self._read_once(fresh)
        except Exception as error:  # noqa: BLE001 - re-raised unless the cached token stands in
            self._failures += 1
            return self._stand_in(error)
        self._failures = 0
        return token

    def _stand_in(self, error: Exception) -> _Secret:
        """SSM is down, slow or throttling: the cached token is still valid until ``exp`` minus
        the buffer, so it keeps answering, the error is reported, and SSM is read again after a
        backoff rather than on every call. A rejected token, or none worth using, re-raises."""
        entry = self._entry
        now = self._clock()
        if isinstance(error, TokenRejectedError) or not entry.token or now >= entry.usable_until:
            raise error
        delay = self._retry_delay()
        self._entry = entry._replace(fresh_until=min(now + delay, entry.usable_until))
        until = datetime.fromtimestamp(entry.usable_until, timezone.utc).isoformat()
        _log.warning(
            "%s Using the cached token (valid until %s); next read in %s s.", error, until, delay
        )
        if self._on_error is not None:
            self._on_error(error)
        self._schedule(delay)
        return entry.token

    def _retry_delay(self) -> float:
        return retry_delay(self._failures)

    def _read_once(self, fresh: bool) -> _Secret:
        if not fresh and self._clock() - self._rejected_read_at < _REJECTED_RETRY:
            raise self._rejected_error()
        value, version = self._fetch_parameter(fresh)
        now = self._clock()
        if token_hash(value.value) in self._rejected:
            self._rejected_read_at = now
            raise self._rejected_error()
        exp = jwt_expiry(value.value)
        exp = float("inf") if exp is None else exp
        if exp <= now:
            when = datetime.fromtimestamp(exp, timezone.utc).isoformat()
            raise TokenExpiredError(
                f"The token in SSM parameter {self.parameter} expired at {when}. Rotate it in the "
                "HA Token Manager add-on (Rotate now), or raise its token_lifespan_days.",
                self.parameter,
            )
        fresh_until = trusted_until(now, exp, self._ttl, self._buffer)
        self._entry = Entry(fresh_until, value, version, exp - self._buffer)
        self._schedule(max(1.0, (fresh_until - now) * 0.8))  # 80% in, so callers never wait on SSM
        return value

    def _fetch_parameter(self, fresh: bool) -> ParameterValue:
        self.reads += 1
        if self._extension_port is not None and not fresh:
            try:
                port, session = self._extension_port, self._session_token
                cached = read_via_extension(port, self.parameter, session)
            except Exception:  # noqa: BLE001 - an optimisation; the SDK answers with real errors
                pass
            else:
                # The extension's cache doesn't notice changes (up to its TTL): a token Home
                # Assistant rejected may already be replaced in SSM, so ask SSM itself.
                if token_hash(cached.value.value) not in self._rejected:
                    return cached
        if self._ssm is None:
            import boto3  # at first use, not import: a Lambda's cold start pays only when needed

            self._ssm = boto3.client("ssm", region_name=self._region)
        return read_via_sdk(self._ssm, self.parameter, self._region)

    def _schedule(self, delay: float) -> None:
        if not self._refresh_ahead or self._closed:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._scheduler(delay, self._refresh)

    def _refresh(self) -> None:
        self._timer = None
        if self._closed:
            return
        try:
            self._load(False)
        except Exception as error:  # noqa: BLE001 - no cached token could stand in
            if self._on_error is not None:
                self._on_error(error)
            self._schedule(self._retry_delay())  # try again later rather than never

    def _rejected_error(self) -> TokenRejectedError:
        return TokenRejectedError(
            f"Home Assistant rejected the token in SSM parameter {self.parameter}, and SSM still "
            "holds it. The HA Token Manager add-on publishes a working token when it notices; if "
            "this persists, check the add-on's status page.",
            self.parameter,
        )
