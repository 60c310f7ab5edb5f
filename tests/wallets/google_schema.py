"""Google's own description of the Wallet REST API (the discovery document ``walletobjects.v1.json``
that the google-api-python-client wheel ships) as a validator of the bodies we send: every field
must be one the schema names (unknown fields are refused, as Google refuses them), of its type,
and one of its values where the schema lists them."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DOCUMENT = "walletobjects.v1.json"


@cache
def discovery() -> dict[str, Any]:
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    return json.loads((documents / DOCUMENT).read_text(encoding="utf-8"))


def schemas() -> dict[str, Any]:
    return discovery()["schemas"]


_TYPES = {
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
}


def _check(value: Any, schema: dict[str, Any], where: str, errors: list[str]) -> None:
    if "$ref" in schema:
        schema = schemas()[schema["$ref"]]
    if value is None:
        return  # a patch clears a field with null
    kind = schema.get("type")
    if kind in ("integer", "number"):
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not number_ok or (kind == "integer" and isinstance(value, float)):
            errors.append(f"{where}: {value!r} is not {kind}")
            return
    elif kind == "string" and schema.get("format") in ("int64", "uint64"):
        if not isinstance(value, str | int) or isinstance(value, bool):
            errors.append(f"{where}: {value!r} is not an int64 string")
            return
    elif kind in _TYPES and not isinstance(value, _TYPES[kind]):
        errors.append(f"{where}: {value!r} is not {kind}")
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if kind == "array":
        for index, item in enumerate(value):
            _check(item, schema.get("items", {}), f"{where}[{index}]", errors)
    elif kind == "object":
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if properties is not None and name in properties:
                _check(item, properties[name], f"{where}.{name}", errors)
            elif extra is not None:
                _check(item, extra, f"{where}.{name}", errors)
            else:
                errors.append(f"{where}.{name}: unknown field")


def problems(schema_name: str, body: Any) -> list[str]:
    """What is wrong with ``body`` as a ``schema_name`` (``LoyaltyClass``, ``LoyaltyObject``);
    empty when Google's schema accepts it."""
    errors: list[str] = []
    if not isinstance(body, dict):
        return [f"{schema_name}: not an object"]
    _check(body, {"$ref": schema_name}, schema_name, errors)
    return errors
