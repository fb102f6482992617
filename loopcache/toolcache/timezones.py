"""Time zone names: two names are one zone when the tz database holds the same rules for both.

    "UTC" = "Etc/UTC",  "Asia/Calcutta" = "Asia/Kolkata",  "US/Eastern" = "America/New_York"  (links)
    "EST" != "America/New_York" (no DST),  "America/Phoenix" != "America/Los_Angeles",  "GMT" != "UTC"

The rules are the zone files themselves (TZif, under `zoneinfo.TZPATH`): names whose files are byte for
byte the same give the same answer for every instant. Nothing is guessed from the spelling: a name the
database does not have, or a machine without the database, only ever matches itself.
"""

from __future__ import annotations

import os
import re
import zoneinfo

_KEY = re.compile(r"^[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*$")


def zone_rules(name: str) -> bytes | None:
    """The TZif bytes of zone `name`, or None if it is not a zone of the local database."""
    if not _KEY.match(name) or ".." in name:
        return None
    for folder in zoneinfo.TZPATH:
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        return data if data.startswith(b"TZif") else None
    return None


def same_zone(a: str, b: str) -> bool:
    """Whether two zone names name the same rules (equal names always do)."""
    if a == b:
        return True
    rules = zone_rules(a)
    return rules is not None and rules == zone_rules(b)
