"""Errors that name the parameter and what to change; none carries a token."""

from __future__ import annotations


class TokenClientError(Exception):
    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class ParameterNotFoundError(TokenClientError):
    """The parameter does not exist (wrong name or region, or not published yet)."""


class AccessDeniedError(TokenClientError):
    """The consumer's AWS identity may not read or decrypt the parameter."""


class SsmReadError(TokenClientError):
    """SSM could not be read for another reason (network, throttling, credentials)."""


class TokenRejectedError(TokenClientError):
    """SSM still holds a token Home Assistant has rejected."""


class TokenExpiredError(TokenClientError):
    """SSM holds a token whose own ``exp`` has passed."""
