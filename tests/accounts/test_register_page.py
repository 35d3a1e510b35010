"""The sign-up page sends the new bidder back where they came from (`?next=`), but only within the site and
never from HTTPS down to HTTP (auction_site.views.next_url, shared with every form that has a `next`)."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def _sign_up(client, next_param: str, n: int, **extra):
    form = {"username": f"signup{n}", "real_name": "王五", "id_number": ["110101199003070134", "32050219850612001X",
                                                                       "440305199912310011"][n], "phone": f"1390000{n:04d}",
            "password1": "a-long-pass-phrase-9", "password2": "a-long-pass-phrase-9", "agree": "on"}
    return client.post(f"/accounts/register/?next={next_param}", form, **extra)


def test_sign_up_returns_to_a_page_of_the_site_and_never_elsewhere(client):
    back = _sign_up(client, "/lots/1/", 0)
    assert back.status_code == 302 and back["Location"] == "/lots/1/"
    client.logout()
    away = _sign_up(client, "https://evil.example/steal", 1)
    assert away.status_code == 302 and away["Location"] == "/"
    client.logout()
    down = _sign_up(client, "http://testserver/lots/1/", 2, secure=True)  # an HTTPS page sending the bidder to HTTP
    assert down.status_code == 302 and down["Location"] == "/"
    assert User.objects.filter(username__startswith="signup").count() == 3
