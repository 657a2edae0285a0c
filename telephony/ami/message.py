"""One parsed AMI frame (an event or a response)."""
from __future__ import annotations

import re

# both spellings Asterisk has used: "ChanVariable: NAME=value" (12+) and "ChanVariable(NAME): value" (1.8)
_LEGACY_VAR = re.compile(r"^(\w*ChanVariable)\((.+)\)$")


class Message:
    """Headers of one frame. A key sent several times (Output, ChanVariable, ...) maps to a list.

    Lookups (get, [], in) try the exact key first, then ignore case: Asterisk spells some keys
    differently across events (AsyncAGIExec sends `CommandId`, the action takes `CommandID`).
    """

    __slots__ = ("headers",)

    def __init__(self, headers: dict[str, str | list[str]]):
        self.headers = headers

    @property
    def is_event(self) -> bool:
        return "Event" in self.headers

    @property
    def is_response(self) -> bool:
        return "Response" in self.headers

    @property
    def name(self) -> str:
        """Event name for events, the Response value (Success/Error/Follows/Goodbye) for responses."""
        return _first(self.headers.get("Event")) or _first(self.headers.get("Response")) or ""

    @property
    def action_id(self) -> str | None:
        return _first(self.headers.get("ActionID"))  # exact key: this runs for every frame

    def get(self, key: str, default=None):
        """Single value of a header; the first one when Asterisk repeated it."""
        value = self._lookup(key)
        return default if value is None else _first(value)

    def get_list(self, key: str) -> list[str]:
        """Every value of a header, in order ([] when absent)."""
        value = self._lookup(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def __getitem__(self, key: str) -> str:
        value = self._lookup(key)
        if value is None:
            raise KeyError(key)
        return _first(value)

    def __contains__(self, key: str) -> bool:
        return self._lookup(key) is not None

    def _lookup(self, key: str):
        value = self.headers.get(key)
        if value is None:
            folded = key.casefold()
            for name, candidate in self.headers.items():
                if name.casefold() == folded:
                    return candidate
        return value

    @property
    def output(self) -> list[str]:
        """Command output lines (`Output:` headers, or the body of a legacy `Response: Follows`)."""
        return self.get_list("Output")

    @property
    def chanvars(self) -> dict[str, str]:
        """Channel variables of the event's channel (manager.conf `channelvars`)."""
        return self.variables("ChanVariable")

    def variables(self, header: str = "ChanVariable") -> dict[str, str]:
        """NAME=value pairs of `header` (ChanVariable, DestChanVariable, Variable...)."""
        found: dict[str, str] = {}
        for value in self.get_list(header):
            name, sep, val = value.partition("=")
            if sep:
                found[name] = val
        for key, raw in self.headers.items():
            legacy = _LEGACY_VAR.match(key)
            if legacy and legacy.group(1) == header:
                found[legacy.group(2)] = raw[0] if isinstance(raw, list) else raw
        return found

    def __repr__(self) -> str:
        kind = "Event" if self.is_event else "Response"
        return f"<Message {kind}={self.name} ActionID={self.action_id}>"


def _first(value):
    return value[0] if isinstance(value, list) else value
