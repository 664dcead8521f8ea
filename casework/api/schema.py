"""The API's OpenAPI documents.

- `/api/v1/openapi.json`: version 1, by the NL API Design Rules: paths relative to the server
  (the public https:// address, `servers()`) without trailing slashes, `{caseId}`-style path
  parameters, pinned camelCase operationIds, every error an RFC 9457 problem, `API-Version` on
  every answer, 400 (unknown input is refused), 401/404/429 (with `Retry-After`) wherever they can
  happen, and the typed task payloads; the HTTP conventions of casework.api.middleware as they
  apply per operation: `Cache-Control` and `RateLimit-*` on every answer, `Idempotency-Key` (with
  409 and 422) on every POST but signing in, `ETag` on a case's and a note's answers, `If-Match`
  (412) on a note's edit, `Location` on every 201, CORS on the document itself. The API reads
  what each operation accepts from this document (casework.api.contract).
- `/api/schema/`: the deprecated paths under /api/, every operation marked deprecated.

Both are generated in English whatever the request's language (the schema is the contract; only
the error texts follow the language).
"""

import copy
import functools
import json
import re

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import include, path
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer2
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from casework.access import MAX_ID
from casework.api.document_parts import (  # noqa: F401 (OPERATION_IDS and SERVER re-exported)
    ANONYMOUS,
    COMPONENT_HEADERS,
    COMPONENT_PARAMETERS,
    COMPONENT_SCHEMAS,
    CONTACT,
    ERROR_TEXT,
    HEADER,
    IDEMPOTENCY_CONFLICT,
    NO_STORE,
    OPERATION_IDS,
    PATH_IDS,
    PERSONAL_TOKEN_ONLY,
    PROBLEM,
    RATE_LIMIT,
    RESOURCE_IDS,
    SERVER,
    TAG_TEXT,
    WITH_ETAG,
    WITH_IF_MATCH,
)
from casework.api.events import event_components
from casework.api.idempotency import EXEMPT as WITHOUT_IDEMPOTENCY  # the token endpoints
from casework.api.payloads import complete_body, payload_components
from casework.api.version import API_VERSION, LEGACY_DEPRECATED_ON
from casework.models import Vrijstelling
from systems.oauth import JWT_BEARER


def _v1_path(old: str) -> str:
    new = old.removeprefix(SERVER)
    parts = new.split("/")
    if len(parts) > 2 and parts[2] == "{id}" and parts[1] in RESOURCE_IDS:
        parts[2] = RESOURCE_IDS[parts[1]]
    new = "/".join(parts)
    for before, after in PATH_IDS.items():
        new = new.replace(before, after)
    return new


def _rename_parameters(operation: dict, new_path: str) -> None:
    names = iter(part[1:-1] for part in new_path.split("/") if part.startswith("{"))
    renamed = []
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path":
            parameter = {**parameter, "name": next(names), "schema": {"type": "integer", "minimum": 1,
                                                                        "maximum": MAX_ID}}
        renamed.append(parameter)
    if renamed:
        operation["parameters"] = renamed


def _error(description: str) -> dict:
    return {"description": description, "headers": {"API-Version": HEADER},
            "content": {"application/problem+json": {"schema": PROBLEM}}}


def servers() -> list[dict]:
    """The public https:// address of version 1 (CASEWORK_BASE_URL, which production requires to be
    https); where the base URL is not https (a development machine) the relative path, so the
    document still names where the API is."""
    base = settings.CASEWORK_BASE_URL
    if base.startswith("https://"):
        return [{"url": f"{base}{SERVER}", "description": "Version 1 of the API."}]
    return [{"url": SERVER, "description": "This server, version 1 of the API."}]


def v1_postprocess(result, generator, request, public):
    result["servers"] = servers()
    result["info"]["contact"] = CONTACT
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(copy.deepcopy(COMPONENT_SCHEMAS))
    components["schemas"].update(payload_components())
    components["schemas"].update(event_components())  # CaseEvent: one of the kinds, each with its data
    components["headers"] = copy.deepcopy(COMPONENT_HEADERS)
    components["parameters"] = copy.deepcopy(COMPONENT_PARAMETERS)
    # The task as version 1 shows it: a user's states, not viewflow's.
    task = components["schemas"].get("Task")
    if task:
        task["properties"]["status"] = {"$ref": "#/components/schemas/TaskStatus"}
    result["paths"]["/openapi.json"] = {"get": {
        "summary": "This document (OpenAPI 3, JSON)", "tags": ["openapi.json"],
        "responses": {"200": {"description": "The OpenAPI document of version 1.",
                              # lower case, as the Design Rules' linter looks it up (HTTP does not mind)
                              "headers": {"access-control-allow-origin": {
                                  "$ref": "#/components/headers/Access-Control-Allow-Origin"}},
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}}
    paths = {}
    for old_path, operations in result["paths"].items():
        new_path = _v1_path(old_path)
        for method, operation in operations.items():
            key = f"{method} {new_path}"
            if key not in OPERATION_IDS:
                raise KeyError(f"No pinned operationId for {key}: add it to casework.api.schema.OPERATION_IDS")
            operation["operationId"] = OPERATION_IDS[key]
            operation.setdefault("description", operation.get("summary", ""))
            _rename_parameters(operation, new_path)
            _document_answers(operation, new_path, method)
        paths[new_path] = operations
    result["paths"] = dict(sorted(paths.items()))
    tags = sorted({tag for operations in paths.values() for op in operations.values() for tag in op.get("tags", [])})
    result["tags"] = [{"name": tag, "description": TAG_TEXT.get(tag, tag)} for tag in tags]
    for parameter in result["paths"]["/cases"]["get"]["parameters"]:
        if parameter["name"] == "deadline_state":
            parameter["name"] = "deadlineState"
    complete = result["paths"]["/tasks/{taskId}/complete"]["post"]
    complete["requestBody"] = {"required": True, "content": {"application/json": {"schema": complete_body()}}}
    token = result["paths"]["/auth/token"]["post"]
    token["responses"]["200"]["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}
    _name_enum_members(result)
    _drop_unused(result)
    return result


# Enum members a generator cannot name from their value: the exemption grounds are articles of the
# Leerplichtwet (5a -> ART_5A), "" is EMPTY (no choice), "-created" sorts descending (CREATED_DESC).
ENUM_NAMES = {str(value): name for value, name in zip(Vrijstelling.Grounds.values, Vrijstelling.Grounds.names,
                                                      strict=True)}
# A URN names its member by its last part (the client assertion's type: JWT_BEARER).
ENUM_NAMES[JWT_BEARER] = "JWT_BEARER"


def _member_name(value: str) -> str:
    if value in ENUM_NAMES:
        return ENUM_NAMES[value]
    if value == "":
        return "EMPTY"
    if value.startswith("-") and value[1:2].isalpha():
        return f"{value[1:].upper()}_DESC"
    return value.upper() if value[:1].isalpha() else f"VALUE_{value.upper()}"


def _name_enum_members(node) -> None:
    """`x-enum-varnames` for every string enum with a value that does not start with a letter, so a
    generated client names its members sensibly (openapi-python-client reads them) instead of
    VALUE_0; enums with null are left as they are (a generator splits the null off)."""
    if isinstance(node, dict):
        values = node.get("enum")
        if (isinstance(values, list) and values and all(isinstance(value, str) for value in values)
                and any(not value[:1].isalpha() or value in ENUM_NAMES for value in values)):
            node["x-enum-varnames"] = [_member_name(value) for value in values]
        for value in node.values():
            _name_enum_members(value)
    elif isinstance(node, list):
        for value in node:
            _name_enum_members(value)


def _drop_unused(result: dict) -> None:
    """Remove the component schemas nothing refers to any more (the old error shapes)."""
    schemas = result["components"]["schemas"]
    while True:
        text = json.dumps(result, cls=DjangoJSONEncoder)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def _document_answers(operation: dict, path_: str, method: str) -> None:
    responses = operation["responses"]
    operation_id = operation["operationId"]
    anonymous = operation_id in ANONYMOUS
    document = operation_id == "getOpenApiDocument"
    if anonymous:
        operation["security"] = [{}] if document else []
        if operation_id != "obtainClientToken":  # its 401 is a client that failed to authenticate
            responses.pop("401", None)
    else:
        responses.setdefault("401", {})
    if not anonymous and operation_id not in PERSONAL_TOKEN_ONLY:
        # A connected system's token without the operation's scope, or an operation for persons only.
        responses.setdefault("403", {"description": "Not allowed: for a connected system, its token lacks the "
                                                    "scope this operation needs, or only persons may call it."})
    if "{" in path_:
        responses.setdefault("404", {})
    if any(p.get("name") == "page" for p in operation.get("parameters", [])):
        responses.setdefault("404", {"description": "No such page (past the last one)."})
    if not document:  # an unknown query parameter is refused everywhere (casework.api.requests)
        responses.setdefault("400", {})
        responses.setdefault("429", {})
    headers = []
    if method == "post" and f"{SERVER}{path_}" not in WITHOUT_IDEMPOTENCY:
        headers.append({"$ref": "#/components/parameters/Idempotency-Key"})
        conflict = responses.get("409", {}).get("description")
        responses["409"] = {"description": f"{conflict} Or: {IDEMPOTENCY_CONFLICT[0].lower()}{IDEMPOTENCY_CONFLICT[1:]}"
                            if conflict else IDEMPOTENCY_CONFLICT}
        responses.setdefault("422", {})
    if operation_id in WITH_IF_MATCH:
        headers.append({"$ref": "#/components/parameters/If-Match"})
        responses.setdefault("412", {})
    if headers:
        operation["parameters"] = [*operation.get("parameters", []), *headers]
    for code, response in list(responses.items()):
        status = int(code)
        if status >= 400:
            described = response.get("description") or ERROR_TEXT.get(status, "Refused.")
            responses[code] = response = _error(described)
            if status == 429:
                response["headers"]["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        else:
            response.setdefault("headers", {})["API-Version"] = HEADER
            if not response.get("description"):
                response["description"] = "Done."
            if status == 201:
                response["headers"]["Location"] = {"$ref": "#/components/headers/Location"}
            if operation_id in WITH_ETAG and status in (200, 201):
                response["headers"]["ETag"] = {"$ref": "#/components/headers/ETag"}
        if not document:
            response["headers"]["Cache-Control"] = NO_STORE
            response["headers"].update(RATE_LIMIT)


def legacy_postprocess(result, generator, request, public):
    result["info"]["description"] = (
        f"{result['info'].get('description', '')} These paths are deprecated since "
        f"{LEGACY_DEPRECATED_ON.date().isoformat()} and stop answering on {settings.CASEWORK_API_SUNSET.isoformat()} "
        "(their Sunset header); version 1 is described at /api/v1/openapi.json.").strip()
    for operations in result["paths"].values():
        for operation in operations.values():
            operation["deprecated"] = True
    return result


class EnglishSchema:
    """The schema is generated in English, whatever the request's language."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        with translation.override("en"):
            response = super().get(request, *args, **kwargs)
            # Lazy texts become English strings now, not when the answer is rendered later.
            response.data = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
        return response


def one_blank_string(result, generator, request, public):
    """drf-spectacular says a text that may be blank and has a pattern as `oneOf: [the text, a string of
    at most 0 characters]`; where the pattern itself allows "" (ours forbid only NUL), "" matches
    both, and `oneOf` needs exactly one. Such a pair becomes the text alone; any other pair (a
    pattern that refuses "") becomes `anyOf`, which "" may match once or twice."""
    _blank_pairs(result)
    return result


def _blank_pairs(node) -> None:
    if isinstance(node, dict):
        choices = node.get("oneOf")
        if isinstance(choices, list) and len(choices) == 2 and choices[1] == {"type": "string", "maxLength": 0}:
            text = choices[0]
            if "minLength" not in text and "format" not in text and re.search(text.get("pattern", ""), ""):
                del node["oneOf"]
                node.update(text)
            else:
                node["anyOf"] = node.pop("oneOf")
        for value in node.values():
            _blank_pairs(value)
    elif isinstance(node, list):
        for value in node:
            _blank_pairs(value)


DEFAULT_HOOKS = ["drf_spectacular.hooks.postprocess_schema_enums", "casework.api.schema.one_blank_string"]


class V1SchemaView(EnglishSchema, SpectacularAPIView):
    renderer_classes = [OpenApiJsonRenderer2]  # application/json, at the Design Rules' /openapi.json
    permission_classes = [AllowAny]
    authentication_classes = []  # never a 401 for a stale token: the document is public
    throttle_classes = []

    @property
    def patterns(self):  # read when the document is asked for (the urls import this view)
        return [path("api/v1/", include("casework.api.urls_v1"))]

    custom_settings = {
        "TITLE": "casework API",
        "DESCRIPTION": "Cases of children out of school (thuiszitters): signal intake, tasks, case file, "
                       "reference data and the monitor. Errors are application/problem+json (RFC 9457); every "
                       "answer carries API-Version. Sign in with obtainToken and send `Authorization: Token "
                       "<token>`.",
        "VERSION": API_VERSION,
        "POSTPROCESSING_HOOKS": [*DEFAULT_HOOKS, "casework.api.schema.v1_postprocess"],
    }


@functools.cache
def v1_document() -> dict:
    """The version-1 document as /api/v1/openapi.json answers it, built once per process (what the
    API accepts is read from it: casework.api.contract)."""
    with patched_settings(V1SchemaView.custom_settings), translation.override("en"):
        generator = SchemaGenerator(patterns=V1SchemaView().patterns)
        return json.loads(json.dumps(generator.get_schema(request=None, public=True), cls=DjangoJSONEncoder))


class LegacySchemaView(EnglishSchema, SpectacularAPIView):
    permission_classes = [AllowAny]

    @property
    def patterns(self):
        return [path("api/", include("casework.api.urls"))]

    custom_settings = {"POSTPROCESSING_HOOKS": [*DEFAULT_HOOKS, "casework.api.schema.legacy_postprocess"]}
