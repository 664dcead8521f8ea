"""`Authorization: Bearer <access token>`: a connected system, authenticated by django-oauth-toolkit
(the token looked up by its digest, unexpired), answered as the system's account with the token.

Only the header counts (never a token in the query string), and only the `Bearer` scheme: a person's
`Token` is refused here and a system's token is refused by the person's scheme, so neither kind
of token works with the other's prefix."""

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from systems.models import ConnectedSystem


class SystemBearerAuthentication(OAuth2Authentication):
    www_authenticate_realm = "casework"

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != b"bearer":
            return None
        if len(words) != 2:
            raise AuthenticationFailed("Give the access token after Bearer, with nothing else.")
        found = super().authenticate(request)
        if found is None:
            raise AuthenticationFailed("The access token is unknown or has expired.")
        _, token = found
        system = (ConnectedSystem.objects.select_related("account", "application")
                  .filter(application_id=token.application_id).first())
        if token.user_id is not None or system is None or not system.account.is_active:
            raise AuthenticationFailed("The access token is unknown or has expired.")
        account = system.account
        account._connected_system = system
        return account, token
