"""The version-1 OpenAPI document checked with standard tools: openapi-spec-validator, and Spectral
(`npx spectral lint`, @stoplight/spectral-cli from package.json) with the repository's ruleset
(.spectral.yaml: every rule of the NL API Design Rules' official ruleset, and the project's
stricter ones). Zero errors, zero warnings, on the document as production serves it (its server
the public https:// address). And the document does not change with Accept-Language; the old
paths' document marks every operation deprecated."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.test import Client, override_settings
from openapi_spec_validator import validate

from casework.api.schema import OPERATION_IDS
from tests.apiclient import v1_document

ROOT = Path(__file__).resolve().parent.parent


PUBLIC = "https://casework.example.org"


def test_the_v1_document_is_valid_openapi():
    document = v1_document()
    validate(document)
    assert document["info"]["version"] == "1.0.0" and document["servers"] == [
        {"url": "/api/v1", "description": "This server, version 1 of the API."}]  # development: http base URL
    with override_settings(CASEWORK_BASE_URL=PUBLIC):
        assert v1_document()["servers"] == [{"url": f"{PUBLIC}/api/v1", "description": "Version 1 of the API."}]
    ids = {f"{method} {path}": op["operationId"] for path, ops in document["paths"].items()
           for method, op in ops.items()}
    assert ids == OPERATION_IDS


def spectral_lint(tmp_path, document: dict):
    spectral = ROOT / "node_modules" / ".bin" / "spectral"
    if not spectral.exists():
        pytest.fail("@stoplight/spectral-cli is not installed: run `npm ci` (bin/test-all does)")
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    npx = shutil.which("npx")
    assert npx, "npx (Node.js) is needed for the Spectral lint"
    done = subprocess.run([npx, "--no-install", "spectral", "lint", "--ruleset", str(ROOT / ".spectral.yaml"), "--format", "json",
                           "--fail-severity", "error", str(path)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, check=False)
    findings, _end = json.JSONDecoder().raw_decode(done.stdout.strip() or "[]")  # a note may follow "[]"
    return done, findings


def test_the_v1_document_passes_the_design_rules_ruleset(tmp_path):
    with override_settings(CASEWORK_BASE_URL=PUBLIC):  # as production serves it (an https:// base URL)
        done, findings = spectral_lint(tmp_path, v1_document())
    errors = [finding for finding in findings if finding["severity"] == 0]
    assert not errors, json.dumps(errors[:10], indent=1)
    assert not findings, json.dumps(findings[:10], indent=1)  # nor a warning: docs/api.md lists what is left out
    assert done.returncode == 0, done.stderr


def test_the_document_is_the_same_whatever_the_language():
    english = Client().get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="en").content
    dutch = Client().get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="nl").content
    assert english == dutch
    assert b"Plan of action" in english  # the payloads' descriptions, from the forms, in English


def test_the_old_paths_document_marks_them_deprecated():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response["Deprecation"].startswith("@")
    operations = [op for ops in response.json()["paths"].values() for op in ops.values()]
    assert operations and all(op["deprecated"] for op in operations)


OFFICIAL_RULES = {  # media/linter.yaml of Logius-standaarden/API-Design-Rules, with their severity there
    "nlgov:openapi3": "error", "nlgov:openapi-root-exists": "error", "nlgov:missing-version-header": "error",
    "nlgov:missing-header": "error", "nlgov:include-major-version-in-uri": "error",
    "nlgov:paths-no-trailing-slash": "error", "nlgov:info-contact-fields-exist": "error",
    "nlgov:http-methods": "error", "nlgov:paths-kebab-case": "error", "nlgov:query-keys-camel-case": "error",
    "nlgov:schema-camel-case": "warn", "nlgov:servers-use-https": "warn", "nlgov:use-problem-schema": "error",
    "nlgov:problem-schema-members": "error", "nlgov:problem-invalid-input": "error",
    "nlgov:property-casing": "warn", "nlgov:date-time-ensure-timezone": "error",
    "nlgov:time-without-timezone": "error", "nlgov:specify-format-for-date-and-time": "error",
    "nlgov:use-date-instead-of-datetime": "error", "nlgov:semver": "error",
    # the published v2.1.0 ruleset's rules on the document itself
    "paths-open-api-json-resource-exists": "error", "paths-open-api-json-resource-has-get": "error",
    "paths-open-api-json-specify-cors-header": "error",
    # Spectral's own rules the official ruleset switches on as errors
    "oas3-schema": "error", "operation-operationId-unique": "error", "path-params": "error",
    "openapi-tags-uniqueness": "error", "oas3-valid-media-example": "error", "oas3-valid-schema-example": "error",
    "oas3-server-variables": "error", "oas3-api-servers": "error", "path-keys-no-trailing-slash": "error",
    "info-contact": "error",
}
RANK = {"off": 0, "hint": 1, "info": 2, "warn": 3, "error": 4}


def test_the_ruleset_has_every_official_rule_at_its_severity_or_stricter():
    rules = yaml.safe_load((ROOT / ".spectral.yaml").read_text())["rules"]
    for rule, official in OFFICIAL_RULES.items():
        assert rule in rules, rule
        ours = rules[rule] if isinstance(rules[rule], str) else rules[rule].get("severity", "warn")
        assert RANK[ours] >= RANK[official], (rule, ours, official)


def test_the_ruleset_refuses_what_the_design_rules_refuse(tmp_path):
    """The rules are not vacuous: a document broken in five ways gets each official rule's error."""
    document = v1_document()
    document["servers"] = [{"url": "http://casework.example.org/api/v1"}]
    del document["paths"]["/cases/{caseId}/notes"]["post"]["responses"]["400"]
    del document["paths"]["/openapi.json"]["get"]["responses"]["200"]["headers"]["access-control-allow-origin"]
    document["paths"]["/cases"]["get"]["parameters"].append({"name": "page_size", "in": "query",
                                                              "schema": {"type": "integer"}})
    document["components"]["schemas"]["bad_name"] = {"type": "object"}
    _done, findings = spectral_lint(tmp_path, document)
    errors = {finding["code"] for finding in findings if finding["severity"] == 0}  # errors, not warnings
    assert {"nlgov:servers-use-https", "nlgov:problem-invalid-input", "paths-open-api-json-specify-cors-header",
            "nlgov:query-keys-camel-case", "nlgov:schema-camel-case"} <= errors
