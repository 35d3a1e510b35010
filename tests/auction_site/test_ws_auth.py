"""The websocket's origin and authentication decision, made once in auction_site/ws_auth.py: a query
string that names a token is token authentication only (never the session cookie, even for `?token=`),
the session cookie counts only from a page of the site, and the scope records which it was."""

import asyncio

import pytest
from django.test import Client

from auction_site.ws_auth import TokenOrSessionAuthMiddleware
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

HOST = b"auction.example"


def decide(query: bytes, *, origin: bytes | None = None, cookie: str | None = None) -> tuple[object, str]:
    seen = {}

    async def app(scope, receive, send):
        seen["user"], seen["auth"] = scope["user"], scope["auth"]

    headers = [(b"host", HOST)]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {"type": "websocket", "path": "/ws/rounds/1/", "query_string": query, "headers": headers}

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        pass

    asyncio.run(TokenOrSessionAuthMiddleware(app)(scope, receive, send))
    return seen["user"], seen["auth"]


@pytest.fixture
def visitor():
    """A signed-in visitor: their session cookie, and a different user's token."""
    from rest_framework.authtoken.models import Token

    user = make_user("visitor", "bidder")
    client = Client()
    client.force_login(user)
    other = make_user("api_client", "bidder")
    return user, f"sessionid={client.cookies['sessionid'].value}", other, Token.objects.create(user=other).key


def test_a_query_string_naming_a_token_never_falls_back_to_the_session_cookie(visitor):
    # the hole this closes: a page elsewhere opened `?token=` and bid with a signed-in visitor's session
    _, cookie, _, _ = visitor
    for query in (b"token=", b"token=&round=1", b"x=1&token=", b"token", b"token=not-a-real-token"):
        for origin in (b"https://evil.example", b"https://auction.example", None):
            user, auth = decide(query, origin=origin, cookie=cookie)
            assert not user.is_authenticated and auth == "anonymous", (query, origin)


def test_a_valid_token_is_its_user_from_any_page_and_wins_over_the_cookie(visitor):
    _, cookie, other, key = visitor
    for origin in (b"https://evil.example", b"https://auction.example", None):
        assert decide(b"token=" + key.encode(), origin=origin, cookie=cookie) == (other, "token")


def test_the_session_cookie_counts_only_from_a_page_of_the_site(visitor):
    me, cookie, _, _ = visitor
    assert decide(b"", origin=b"https://auction.example", cookie=cookie) == (me, "session")
    assert decide(b"", origin=None, cookie=cookie) == (me, "session")  # not a browser
    for origin in (b"https://evil.example", b"https://auction.example.evil.example", b"null"):
        user, auth = decide(b"", origin=origin, cookie=cookie)
        assert not user.is_authenticated and auth == "anonymous"
    # a query string that merely contains the text "token=" is not a token
    user, auth = decide(b"x=token=abc", origin=b"https://evil.example", cookie=cookie)
    assert not user.is_authenticated and auth == "anonymous"


def test_without_a_cookie_or_with_a_deactivated_users_token_the_socket_is_anonymous(visitor):
    user, auth = decide(b"", origin=b"https://auction.example")
    assert not user.is_authenticated and auth == "anonymous"
    _, _, other, key = visitor
    other.is_active = False
    other.save()
    user, auth = decide(b"token=" + key.encode())
    assert not user.is_authenticated and auth == "anonymous"
