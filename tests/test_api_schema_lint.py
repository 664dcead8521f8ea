"""The version-1 OpenAPI document checked with standard tools: openapi-spec-validator, and Spectral
(`npx spectral lint`, @stoplight/spectral-cli from package.json) with the repository's ruleset
(.spectral.yaml: the NL API Design Rules' core). Zero errors. And the document does not change
with Accept-Language; the old paths' document marks every operation deprecated."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from openapi_spec_validator import validate

from casework.api.schema import OPERATION_IDS
from tests.apiclient import v1_document

ROOT = Path(__file__).resolve().parent.parent


def test_the_v1_document_is_valid_openapi():
    document = v1_document()
    validate(document)
    assert document["info"]["version"] == "1.0.0" and document["servers"] == [
        {"url": "/api/v1", "description": "This server, version 1 of the API."}]
    ids = {f"{method} {path}": op["operationId"] for path, ops in document["paths"].items()
           for method, op in ops.items()}
    assert ids == OPERATION_IDS


def test_the_v1_document_passes_the_design_rules_ruleset(tmp_path):
    spectral = ROOT / "node_modules" / ".bin" / "spectral"
    if not spectral.exists():
        pytest.fail("@stoplight/spectral-cli is not installed: run `npm ci` (bin/test-all does)")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(v1_document()))
    npx = shutil.which("npx")
    assert npx, "npx (Node.js) is needed for the Spectral lint"
    done = subprocess.run([npx, "--no-install", "spectral", "lint", "--ruleset", str(ROOT / ".spectral.yaml"), "--format", "json",
                           "--fail-severity", "error", str(document)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, check=False)
    findings, _end = json.JSONDecoder().raw_decode(done.stdout.strip() or "[]")  # a note may follow "[]"
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
