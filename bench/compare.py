"""Do the API and the floor return the same data? Both answers are brought to one form first: global IDs
become UUIDs, instants become UTC datetimes, numbers become exact decimals (the API sends Decimal as text,
PostgreSQL's JSON sends numbers)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from rapport.ids import from_global_id


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return decimal.Decimal(str(value)).normalize()
    if isinstance(value, str):
        return _string(value)
    return value


def _string(value: str) -> Any:
    decoded = from_global_id(value) if len(value) > 40 else None
    if decoded is not None:
        return str(decoded[1])
    if len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)
        except ValueError:
            return value
    if value[:1].isdigit() or value[:1] == "-":
        try:
            return decimal.Decimal(value).normalize()
        except decimal.InvalidOperation:
            return value
    return value


def floor_json(text: str | None) -> Any:
    return None if text is None else json.loads(text, parse_float=decimal.Decimal)


def differences(api: Any, floor: Any, path: str = "$", limit: int = 5) -> list[str]:
    """Where the two (normalised) answers differ; empty when they agree."""
    found: list[str] = []

    def walk(a: Any, b: Any, at: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{at}.{key}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                found.append(f"{at}: {len(a)} items from the API, {len(b)} from the floor")
                return
            for n, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{at}[{n}]")
        elif a != b:
            found.append(f"{at}: API {a!r} != floor {b!r}")

    walk(normalise(api), normalise(floor), path)
    return found


def api_payload(name: str, data: dict[str, Any]) -> Any:
    """The part of the API's ``data`` the floor statement returns."""
    if name == "summary":
        return data["customerSummary"]
    return data["customers"]["nodes"]
