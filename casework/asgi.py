"""ASGI entry point: HTTP through Django, websockets (notifications) through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
django_asgi_app = get_asgi_application()

# After Django is set up:
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from casework.http.serverlog import AccessLogMiddleware  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})

if settings.CASEWORK_ACCESS_LOG:  # bin/serve: the access log through the redacting filter
    application = AccessLogMiddleware(application)
