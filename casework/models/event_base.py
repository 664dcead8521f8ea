"""The machinery of the typed case events (`casework.models.events`): the data class of a kind,
its checks, and the register of kinds."""

import dataclasses
from typing import Any, ClassVar

from .history import CaseEvent

Kind = CaseEvent.Kind


class _Absent:
    """The default of a key that only some events of a kind carry: the key is left out of the data."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()

# kind -> its class, for the callers that hold a kind rather than a class (the clocks, the replay).
EVENT_TYPES: dict[str, type["EventData"]] = {}


def _key(name: str) -> dict:
    return {"key": name}


class EventData:
    """The data of one kind of case event; subclasses are frozen, keyword-only dataclasses."""

    kind: ClassVar[str]

    @classmethod
    def keys(cls) -> dict[str, str]:
        """Data key -> field name, in the fields' order."""
        return {field.metadata.get("key", field.name): field.name for field in dataclasses.fields(cls)}

    @classmethod
    def required_keys(cls) -> set[str]:
        """The keys every event of the kind carries."""
        return {field.metadata.get("key", field.name) for field in dataclasses.fields(cls)
                if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING}

    @classmethod
    def of(cls, data: dict) -> "EventData":
        """The data of this kind from its keys; an unknown or a missing key raises TypeError."""
        keys = cls.keys()
        unknown = sorted(set(data) - set(keys))
        if unknown:
            raise TypeError(f"{cls.kind} event: unknown data key(s) {', '.join(unknown)}")
        missing = sorted(cls.required_keys() - set(data))
        if missing:
            raise TypeError(f"{cls.kind} event: missing data key(s) {', '.join(missing)}")
        return cls(**{keys[key]: value for key, value in data.items()})

    def as_data(self) -> dict:
        """The event's `data`: every key that has a value."""
        return {key: getattr(self, name) for key, name in self.keys().items() if getattr(self, name) is not ABSENT}

    @classmethod
    def build(cls, case, actor, *, at=None, **data) -> CaseEvent:
        """An unsaved event of this kind (`CaseEvent.build`) with exactly `data`, checked first."""
        cls.of(data)
        return CaseEvent.build(case, actor, cls.kind, at=at, **data)

    @classmethod
    def record(cls, case, actor, *, at=None, **data) -> CaseEvent:
        """Write an event of this kind (`CaseEvent.record`) with exactly `data`, checked first."""
        cls.of(data)
        return CaseEvent.record(case, actor, cls.kind, at=at, **data)


def event(kind: str):
    """Make the class a frozen keyword-only dataclass holding the data of `kind`, and register it."""

    def register(cls):
        if kind in EVENT_TYPES:
            raise ValueError(f"two classes for the case event kind {kind!r}")
        cls.kind = kind
        EVENT_TYPES[kind] = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        return EVENT_TYPES[kind]

    return register


def of_kind(kind: str) -> type[EventData]:
    """The class of `kind`; any other kind raises ValueError."""
    try:
        return EVENT_TYPES[kind]
    except KeyError:
        raise ValueError(f"unknown case event kind: {kind!r}") from None
