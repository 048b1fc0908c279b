"""A small OpenAPI 3.0 schema checker ($ref, nullable, allOf/anyOf, required, additionalProperties)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "stockx" / "openapi.json"
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


@cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any] | None:
    """The StockX OpenAPI document, or None when the shared folder is absent."""
    if not path.exists():
        return None
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return spec


def response_schema(spec: dict[str, Any], method: str, template: str, status: int) -> dict[str, Any]:
    """The JSON schema of `method template` answering `status` (KeyError when undocumented)."""
    response = spec["paths"][template][method.lower()]["responses"][str(status)]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def validate(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Every way `value` breaks `schema` (empty when it conforms)."""
    schema = _resolve(spec, schema)
    if value is None:
        nullable = schema.get("nullable") or any(
            _resolve(spec, s).get("nullable") for s in schema.get("anyOf", [])
        )
        return [] if nullable else [f"{where}: null is not allowed"]
    problems: list[str] = []
    for sub in schema.get("allOf", []):
        problems += validate(spec, sub, value, where)
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf", schema.get("oneOf", []))
        if all(validate(spec, sub, value, where) for sub in options):
            problems.append(f"{where}: {value!r} matches none of the alternatives")
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind is not None:
        if not isinstance(value, _TYPES[kind]) or (kind != "boolean" and isinstance(value, bool)):
            return [*problems, f"{where}: expected {kind}, got {type(value).__name__} {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += validate(spec, schema["items"], item, f"{where}[{index}]")
    if isinstance(value, dict):
        problems += _validate_object(spec, schema, value, where)
    return problems


def _validate_object(
    spec: dict[str, Any], schema: dict[str, Any], value: dict[str, Any], where: str
) -> list[str]:
    problems = [f"{where}: missing {key!r}" for key in schema.get("required", []) if key not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            problems += validate(spec, properties[key], item, f"{where}.{key}")
        elif extra is False:
            problems.append(f"{where}: unexpected property {key!r}")
        elif isinstance(extra, dict):
            problems += validate(spec, extra, item, f"{where}.{key}")
    return problems
