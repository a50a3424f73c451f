from __future__ import annotations

import base64
import json
from typing import Optional


def jwt_expiry(token: str) -> Optional[float]:
    """The ``exp`` claim (epoch seconds) of a JWT, read without verifying it.

    Home Assistant signs long-lived tokens with a key only it holds; the client
    needs the expiry only to stop trusting a cached copy in time. None when the
    value is not a JWT or has no numeric ``exp``.
    """
    parts = token.split(".")
    if len(parts) < 2 or not parts[1]:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        return float(exp)
    return None
