"""How a STIX object's fields look from Python: stix2's shapes, built from the bundle's JSON.

`attackdb.StixObject` (Rust) calls `_load` the first time one of an object's fields is read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from . import _native

__all__ = ["StixDict", "StixObject"]

StixObject = _native.StixObject
Mapping.register(StixObject)


class StixDict(dict):
    """A nested STIX mapping (an external reference, a kill chain phase...): a ``dict`` whose
    keys can also be read as attributes, as stix2's ``ExternalReference`` and ``KillChainPhase``."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def __dir__(self):
        return sorted(set(dict.__dir__(self)) | set(self.keys()))


# The timestamp properties stix2 turns into datetimes.
_TIMESTAMPS = ("created", "modified", "first_seen", "last_seen", "start_time", "stop_time", "valid_from", "valid_until")
# Types stix2 / mitreattack-python give a `revoked: False` default; the custom ATT&CK types
# (mitreattack-python's classes) also get `x_mitre_deprecated: False`.
_CUSTOM_ATTACK = frozenset(
    (
        "x-mitre-matrix",
        "x-mitre-tactic",
        "x-mitre-data-source",
        "x-mitre-data-component",
        "x-mitre-asset",
        "x-mitre-analytic",
        "x-mitre-detection-strategy",
    )
)
_NO_DEFAULTS = frozenset(("marking-definition", "x-mitre-collection", "bundle"))
_PLAIN_DICT_TYPES = frozenset(("x-mitre-collection",))


def parse_timestamp(value: str) -> datetime:
    """An RFC 3339 timestamp (``2017-05-31T21:30:49.546Z``) as a timezone-aware ``datetime``."""
    text = value.strip()
    date, _, time = text.partition("T")
    year, month, day = (int(part) for part in date.split("-"))
    offset = timedelta(0)
    if time.endswith(("Z", "z")):
        time = time[:-1]
    elif len(time) > 6 and time[-6] in "+-" and time[-3] == ":":
        sign = 1 if time[-6] == "+" else -1
        offset = sign * timedelta(hours=int(time[-5:-3]), minutes=int(time[-2:]))
        time = time[:-6]
    hms, _, fraction = time.partition(".")
    hour, minute, second = (int(part) for part in hms.split(":")) if hms else (0, 0, 0)
    micro = int((fraction + "000000")[:6]) if fraction else 0
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset) if offset else timezone.utc)


def _load(raw: str, stix_type: str) -> dict:
    """The fields of one object: nested mappings as `StixDict`, timestamps as datetimes, and the
    defaults stix2 adds (``revoked``; ``x_mitre_deprecated`` on the custom ATT&CK types)."""
    fields = json.loads(raw, object_hook=StixDict)
    if stix_type in _PLAIN_DICT_TYPES:
        return fields
    for name in _TIMESTAMPS:
        value = fields.get(name)
        if isinstance(value, str):
            try:
                fields[name] = parse_timestamp(value)
            except ValueError:
                pass
    if stix_type not in _NO_DEFAULTS:
        fields.setdefault("revoked", False)
        if stix_type in _CUSTOM_ATTACK:
            fields.setdefault("x_mitre_deprecated", False)
    return fields


def _dumps(raw: str, pretty: bool, **kwargs) -> str:
    """`serialize(pretty=True, ...)`: the bundle's JSON re-serialized (fields in its order)."""
    if pretty:
        kwargs.setdefault("indent", 4)
    return json.dumps(json.loads(raw), **kwargs)
