"""What each version-1 operation accepts, read from its own OpenAPI document (casework.api.schema):
the query parameters, the request headers it names and the keys of its body. The document is the
contract, so the API refuses what it does not describe: an unknown query parameter or body key is
a 400 naming it (NL API Design Rules, /core/error-handling/invalid-input), instead of being
silently ignored (a misspelt filter would otherwise return everything).

The table is built once per process from the document (about a second), on the first request that
needs it."""

import functools
import re
from dataclasses import dataclass

from casework.api.schema import SERVER, v1_document


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    pattern: re.Pattern
    literals: int  # literal segments: /tasks/bulk is preferred over /tasks/{taskId}
    query: frozenset
    body: dict | None  # the request body's schema (JSON or multipart), components resolved on use
    multipart: bool


@dataclass(frozen=True)
class Contract:
    operations: tuple
    schemas: dict

    def operation(self, method: str, path_info: str) -> Operation | None:
        """The operation a request under /api/v1/ is for (None: no such path or method)."""
        path = path_info.removeprefix(SERVER)
        found = [op for op in self.operations if op.method == method.lower() and op.pattern.fullmatch(path)]
        return max(found, key=lambda op: op.literals, default=None)

    def unknown_query(self, operation: Operation, names) -> list[str]:
        return sorted(name for name in set(names) if name not in operation.query)

    def unknown_keys(self, schema: dict | None, data, prefix: str = "") -> list[str]:
        """The dotted names of the keys in `data` that `schema` does not describe (objects with
        named properties; a free-form object, a oneOf or anyOf is left to the operation's own checks)."""
        schema = self._resolve(schema)
        if not schema:
            return []
        if isinstance(data, list) and "items" in schema:
            return [name for at, item in enumerate(data)
                    for name in self.unknown_keys(schema["items"], item, f"{prefix}{at}.")]
        if not isinstance(data, dict) or "properties" not in schema or schema.get("additionalProperties"):
            return []
        properties = schema["properties"]
        unknown = [f"{prefix}{key}" for key in data if key not in properties]
        for key, value in data.items():
            if key in properties:
                unknown += self.unknown_keys(properties[key], value, f"{prefix}{key}.")
        return unknown

    def _resolve(self, schema):
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        if isinstance(schema, dict) and "allOf" in schema and len(schema["allOf"]) == 1:
            return self._resolve(schema["allOf"][0])
        return schema


def _pattern(path: str) -> re.Pattern:
    return re.compile("".join("/[^/]+" if part.startswith("{") else "/" + re.escape(part)
                              for part in path.split("/")[1:]))


@functools.cache
def contract() -> Contract:
    document = v1_document()
    operations = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json") or content.get("multipart/form-data")
            operations.append(Operation(
                operation_id=operation["operationId"], method=method, pattern=_pattern(path),
                literals=sum(1 for part in path.split("/") if part and not part.startswith("{")),
                query=frozenset(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"),
                body=body["schema"] if body else None, multipart="multipart/form-data" in content))
    return Contract(tuple(operations), document["components"]["schemas"])
