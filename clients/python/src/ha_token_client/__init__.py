"""Reads a Home Assistant token managed by the HA Token Manager add-on from AWS SSM."""

from .client import TokenClient
from .errors import (
    AccessDeniedError,
    ParameterNotFoundError,
    SsmReadError,
    TokenClientError,
    TokenExpiredError,
    TokenRejectedError,
)
from .ha_request import Response
from .jwt import jwt_expiry

__all__ = [
    "AccessDeniedError",
    "ParameterNotFoundError",
    "Response",
    "SsmReadError",
    "TokenClient",
    "TokenClientError",
    "TokenExpiredError",
    "TokenRejectedError",
    "jwt_expiry",
]
