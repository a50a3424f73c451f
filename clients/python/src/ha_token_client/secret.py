"""A token that doesn't print itself."""

from __future__ import annotations


class _Secret:
    """Holds a token so that ``repr``, ``str``, ``vars(client)`` and error reporters that
    record locals (Sentry does) show a mask; ``.value`` is read only where the
    Authorization header is built and where ``get_token()`` hands it to the caller."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "_Secret('••••')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __reduce__(self) -> object:  # no pickling a token into a cache or a queue
        raise TypeError("a token is not picklable")
