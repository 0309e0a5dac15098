"""What a learner types after /timezone, as a zone the clock can use.

People write "berlin", "europe/berlin", "New York", "UTC+2", "+05:30" or "GMT-5" rather
than the exact IANA name, so the name is looked up the way they write it: any case, spaces
for underscores, accents dropped, a city alone (the last part of an IANA name, e.g.
"berlin" → Europe/Berlin, from tzdata's own list of zones), or a fixed offset from UTC.
A city that names several zones, or the start of several city names, is answered with the
candidates rather than a guess.

Stored values are an IANA name (canonical spelling) or a fixed offset written "UTC+02:00";
``tzinfo_of`` turns either back into a tzinfo.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC_NAMES = frozenset({"utc", "gmt", "z", "zulu", "etc/utc", "etc/gmt"})
# "UTC+2", "gmt-5", "+02:00", "+0530", "UTC + 5:30": a sign, hours, optional minutes.
_OFFSET = re.compile(r"^(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?$")
_STORED_OFFSET = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")
# Offsets in use on Earth run from UTC−12:00 to UTC+14:00, in quarter hours.
_EARLIEST, _LATEST = timedelta(hours=-12), timedelta(hours=14)
# What ZoneInfo raises for a name that is no zone: unknown, malformed, or a folder of the
# tz database ("Europe" raises IsADirectoryError, an OSError).
_NOT_A_ZONE = (ZoneInfoNotFoundError, ValueError, OSError)
MIN_PREFIX = 3
MAX_CANDIDATES = 8


@dataclass(frozen=True)
class Found:
    name: str | None  # what to store: an IANA name or "UTC+02:00"; None is UTC
    fixed: bool = False  # a fixed offset: it doesn't follow daylight saving time

    @property
    def label(self) -> str:
        return self.name or "UTC"


@dataclass(frozen=True)
class Ambiguous:
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Unknown:
    text: str


def resolve(text: str) -> Found | Ambiguous | Unknown:
    typed = " ".join(text.split())[:64]
    key = _key(typed)
    if not key:
        return Unknown(typed)
    if key in UTC_NAMES:
        return Found(None)
    offset = _OFFSET.match(re.sub(r"\s+", "", typed.lower()))
    if offset is not None:
        return _offset(typed, *offset.groups())
    names, canonical, cities = _index()
    if key in names:
        name = names[key]
        return Found(None if name == "UTC" else name)
    for index in (canonical, cities):
        exact = index.get(key.rsplit("/", 1)[-1], ())
        if len(exact) == 1:
            return Found(exact[0])
        if exact:
            return Ambiguous(tuple(sorted(exact))[:MAX_CANDIDATES])
    if len(key) >= MIN_PREFIX and "/" not in key:
        starting = sorted(
            n for city, zones in canonical.items() if city.startswith(key) for n in zones
        )
        if len(starting) == 1:
            return Found(starting[0])
        if starting:
            return Ambiguous(tuple(starting[:MAX_CANDIDATES]))
    return Unknown(typed)


def tzinfo_of(name: str | None) -> tzinfo:
    """A stored value as a tzinfo: UTC for None or anything no longer valid."""
    if not name:
        return ZoneInfo("UTC")
    offset = _STORED_OFFSET.match(name)
    if offset is not None:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes)) * (-1 if sign == "-" else 1)
        return timezone(delta, name)
    try:
        return ZoneInfo(name)
    except _NOT_A_ZONE:
        return ZoneInfo("UTC")


def _offset(typed: str, sign: str, hours: str, minutes: str | None) -> Found | Unknown:
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if sign == "-":
        delta = -delta
    if not _EARLIEST <= delta <= _LATEST or int(minutes or 0) % 15:
        return Unknown(typed)
    if not delta:
        return Found(None)
    total = int(abs(delta).total_seconds()) // 60
    return Found(f"UTC{sign}{total // 60:02d}:{total % 60:02d}", fixed=True)


def _key(text: str) -> str:
    """How names are compared: lower case, no accents, underscores for spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s*/\s*", "/", plain.strip().lower()).replace(" ", "_")


@cache
def _index() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Every zone by its lower-case name; zones by city, first the canonical ones (those
    tzdata's zone tables list: one per place, no old aliases such as US/Eastern), then all."""
    names = {name.lower(): name for name in available_timezones()}
    canonical = _by_city(_canonical() & set(names.values()))
    everything = _by_city(n for n in names.values() if not n.startswith("Etc/"))
    return names, canonical, everything


def _by_city(names) -> dict[str, tuple[str, ...]]:
    cities: dict[str, list[str]] = {}
    for name in names:
        cities.setdefault(name.rsplit("/", 1)[-1].lower(), []).append(name)
    return {city: tuple(sorted(zones)) for city, zones in cities.items()}


def _canonical() -> set[str]:
    """The zones of tzdata's zone.tab and zone1970.tab (the tzdata package is a dependency
    for exactly this database; the system copy is the fallback)."""
    found: set[str] = set()
    for table in ("zone.tab", "zone1970.tab"):
        try:
            text = resources.files("tzdata.zoneinfo").joinpath(table).read_text()
        except (ModuleNotFoundError, FileNotFoundError):
            try:
                with open(f"/usr/share/zoneinfo/{table}", encoding="utf-8") as file:
                    text = file.read()
            except OSError:
                continue
        for line in text.splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and not line.startswith("#"):
                found.add(fields[2])
    return found
