"""Connected systems in tests: register one as an administrator would, and get its access token
from the real token endpoint (HTTP Basic, or a private_key_jwt assertion signed with a real RSA
key)."""

import base64
import time
import uuid
from dataclasses import dataclass
from functools import cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework.test import APIClient

from systems.clients import register
from systems.models import ConnectedSystem
from teams.models import Region, School

TOKEN_URL = "/api/v1/oauth/token"
AUDIENCE = f"http://testserver{TOKEN_URL}"


@cache
def private_key(name: str = "system"):
    """One RSA key per name for the test session (generating one takes a moment)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class Connected:
    system: ConnectedSystem
    secret: str | None
    key: object | None

    @property
    def client_id(self) -> str:
        return self.system.application.client_id


def connect(*, regions=None, scopes=("cases:read", "cases:signal", "tasks:read", "events:read", "monitor:read",
                                     "subscriptions:manage"),
            organisation="leerplicht", method="private_key_jwt", schools=(), name="Leerplicht-systeem Stad",
            key_name="system") -> Connected:
    """A system for the demo's VO region (or `regions`), registered as the admin would."""
    regions = list(regions) if regions is not None else [Region.objects.get(name="SWV VO Stad Demo")]
    key = private_key(key_name) if method == "private_key_jwt" else None
    system, secret = register(name=name, organisation=organisation, organisation_name=f"{name} (organisatie)",
                              regions=regions, schools=list(schools), scopes=list(scopes), auth_method=method,
                              public_key=public_pem(key) if key else "", contact="koppeling@example.org")
    return Connected(system, secret, key)


def assertion(connected: Connected, *, audience: str = AUDIENCE, lifetime: int = 120, jti: str | None = None,
              key=None, issuer: str | None = None, subject: str | None = None) -> str:
    now = int(time.time())
    claims = {"iss": issuer or connected.client_id, "sub": subject or connected.client_id, "aud": audience,
              "iat": now, "exp": now + lifetime, "jti": jti or uuid.uuid4().hex}
    return jwt.encode(claims, key or connected.key, algorithm="RS256")


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def ask_token(connected: Connected, *, scope: str | None = None, secret: str | None = None, **claims):
    """The token endpoint's answer (a response) for this system's own way of authenticating."""
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    client = APIClient()
    if connected.system.auth_method == ConnectedSystem.AuthMethod.CLIENT_SECRET_BASIC:
        client.credentials(HTTP_AUTHORIZATION=basic(connected.client_id, secret or connected.secret))
    else:
        form.update(client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    client_assertion=assertion(connected, **claims))
    return client.post(TOKEN_URL, form)


def token_of(connected: Connected, **kwargs) -> str:
    answer = ask_token(connected, **kwargs)
    assert answer.status_code == 200, answer.content
    return answer.json()["access_token"]


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def school(name: str) -> School:
    return School.objects.get(name=name)
