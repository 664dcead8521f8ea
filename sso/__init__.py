"""Single sign-on per organisation: OpenID Connect identity providers (mozilla-django-oidc, chosen
per request), linking a provider's account to an existing casework user by a verified e-mail."""
