"""ASGI entry point: HTTP through Django, websockets through Channels (ARCHITECTURE.md)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auction_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from auction_site.server import disable_server_form_parsing  # noqa: E402
from auction_site.ws_auth import TokenOrSessionAuthMiddleware  # noqa: E402
from bidding.routing import websocket_urlpatterns  # noqa: E402

disable_server_form_parsing()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TokenOrSessionAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)

# Garbage collection in a server process holding thousands of websockets: with CPython's default
# thresholds (700, 10, 10) the short-lived objects of one fan-out to 5,000 sockets survive into the
# oldest generation, which is then walked in full every few seconds (300-700 ms pauses measured with
# 5,000 watchers, every socket stalled meanwhile). A large young generation lets them die young.
gc.set_threshold(*(int(n) for n in os.environ.get("GC_THRESHOLDS", "100000,20,100").split(",")))
