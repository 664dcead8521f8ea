"""Registering, rotating and ending connected systems (the administrator's commands), and finding
the system behind an account.

A system's reads and signals are recorded under an account of its own (`system:<client id>`, named
after the application, without a password: it cannot sign in to a page, and only the system's
OAuth access tokens authenticate as it). Persons' accounts cannot have a `:` in their username
(Django's username rule), so the prefix tells a system's account apart without a query."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, get_application_model

from systems import scopes as scope_vocabulary
from systems.models import ConnectedSystem

ACCOUNT_PREFIX = "system:"


def is_system_account(user) -> bool:
    return bool(getattr(user, "username", "")) and user.username.startswith(ACCOUNT_PREFIX)


def system_of(user) -> ConnectedSystem | None:
    """The connected system a (request's) user is the account of, or None for a person. Read once
    per user object: the bearer authentication puts it there already."""
    if not is_system_account(user):
        return None
    if not hasattr(user, "_connected_system"):
        user._connected_system = (ConnectedSystem.objects.select_related("application")
                                  .filter(account=user).first())
    return user._connected_system


@transaction.atomic
def register(*, name: str, organisation: str, organisation_name: str, regions, scopes: list[str],
             auth_method: str = ConnectedSystem.AuthMethod.PRIVATE_KEY_JWT, schools=(), public_key: str = "",
             jwks_url: str = "", contact: str = "") -> tuple[ConnectedSystem, str | None]:
    """A new connected system with its OAuth client (client credentials, confidential). Answers
    the system and, for `client_secret_basic`, its secret: shown this once, stored only hashed."""
    scope_vocabulary.parse(" ".join(scopes))  # unknown scopes raise before anything is written
    system = ConnectedSystem(organisation=organisation, organisation_name=organisation_name, scopes=" ".join(scopes),
                             auth_method=auth_method, public_key=public_key, jwks_url=jwks_url, contact=contact)
    secret = attach_client(system, name=name)
    system.save()
    system.regions.set(regions)
    system.schools.set(schools)
    return system, secret


def attach_client(system: ConnectedSystem, *, name: str) -> str | None:
    """Give a new (unsaved) system its OAuth client and its account. Answers the client secret
    for `client_secret_basic` (to show once), None for `private_key_jwt` (whose client has a
    random secret nobody knows: a secret is refused for it anyway)."""
    secret = generate_client_secret()
    application = get_application_model().objects.create(
        name=name, client_type="confidential", authorization_grant_type="client-credentials",
        client_secret=secret, skip_authorization=True)
    account = get_user_model().objects.create(username=f"{ACCOUNT_PREFIX}{application.client_id}"[:150],
                                              first_name=name[:150], last_name="")
    account.set_unusable_password()
    account.save(update_fields=["password"])
    system.application, system.account = application, account
    return secret if system.auth_method == ConnectedSystem.AuthMethod.CLIENT_SECRET_BASIC else None


@transaction.atomic
def rotate_secret(system: ConnectedSystem) -> str:
    """A new secret; the one before it keeps working for CASEWORK_CLIENT_SECRET_OVERLAP_HOURS, so
    the integrator can switch without a gap. Answers the new secret (shown once)."""
    application = system.application
    secret = generate_client_secret()
    system.previous_secret = application.client_secret  # already hashed (django-oauth-toolkit)
    system.previous_secret_until = timezone.now() + timedelta(hours=settings.CASEWORK_CLIENT_SECRET_OVERLAP_HOURS)
    system.save(update_fields=["previous_secret", "previous_secret_until"])
    application.client_secret = secret
    application.save()  # hashes the new secret
    return secret


@transaction.atomic
def end(system: ConnectedSystem) -> int:
    """Switch a system off: its account inactive, its access tokens gone. Answers how many ended."""
    account = system.account
    account.is_active = False
    account.save(update_fields=["is_active"])
    ended, _ = AccessToken.objects.filter(application=system.application).delete()
    return ended
