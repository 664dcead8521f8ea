"""Version 1 of the API as an integrator sees it: its OpenAPI document, a Python client generated
from it with openapi-python-client (a tool nobody here wrote), and an httpx transport that calls
the Django application in-process (the test's own database transaction; no server)."""

import importlib
import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client

PACKAGE = "casework_client"
BASE_URL = "http://testserver/api/v1"


def v1_document() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200, response.content
    return response.json()


def generate_client(folder: Path):
    """Generate the client package into `folder` and import it."""
    schema = folder / "openapi.json"
    schema.write_text(json.dumps(v1_document()))
    config = folder / "config.yaml"
    config.write_text(f"post_hooks: []\nproject_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run([str(generator), "generate", "--path", str(schema), "--output-path",
                           str(folder / PACKAGE), "--meta", "none", "--config", str(config)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr  # every operation generated
    sys.path.insert(0, str(folder))
    return importlib.import_module(PACKAGE)


@contextmanager
def keep_test_connection():
    """Like Django's test client: the WSGI app must not close the test's database connection at
    the end of each request (it would end the test's transaction on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def transport() -> httpx.WSGITransport:
    return httpx.WSGITransport(app=get_wsgi_application())
