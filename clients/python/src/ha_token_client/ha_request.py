"""Requests to Home Assistant's REST API with the standard library (no extra dependency)."""

from __future__ import annotations

import json as jsonlib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional

from .secret import _Secret

Urlopen = Callable[..., Any]
USER_AGENT = "ha-token-client-python/0.1.0"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.body)


def send(
    urlopen: Urlopen,
    url: str,
    method: str,
    token: _Secret,
    body: Optional[bytes],
    headers: Optional[Dict[str, str]],
    timeout: float,
) -> Response:
    all_headers = dict(headers or {})
    all_headers["Authorization"] = f"Bearer {token.value}"
    # Home Assistant's failed-login warnings name the user agent: say who we are.
    all_headers.setdefault("User-Agent", USER_AGENT)
    request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
    try:
        with urlopen(request, timeout=timeout) as response:
            return Response(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:  # 4xx/5xx: an answer, not a failure to reach HA
        with error:
            return Response(error.code, dict(error.headers.items()), error.read())
