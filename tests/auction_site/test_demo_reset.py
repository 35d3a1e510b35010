"""`make demo-reset` puts the demo back as the first `make run` left it: the database (and the clock,
whose offset lives in it), the local media and the mail; the start banner lists only demo accounts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auction_site.conftest import run

ROOT = Path(__file__).resolve().parents[2]

CHANGE_THE_DEMO = """
import django
django.setup()
from accounts.models import User
from auction_site import clock
clock.advance(3 * 86400)
User.objects.create_user(username="someone_new", password="their-own-pass-99", role="bidder", real_name="路人")
print(clock.now().isoformat())
"""

READ_THE_DEMO = """
import django
django.setup()
from django.utils import timezone
from accounts.models import User
from auction_site import clock
print(abs((clock.now() - timezone.now()).total_seconds()) < 60, User.objects.filter(username="someone_new").exists())
"""


@pytest.mark.timeout(600)  # a demo load on SQLite: slow on a loaded machine
def test_demo_reset_restores_database_clock_media_and_mail(demo_copy):
    place, env = demo_copy  # the demo as `make run` left it: migrated and loaded
    run(env, "-c", CHANGE_THE_DEMO)
    (place / "mail").mkdir(exist_ok=True)
    (place / "mail" / "old.log").write_text("a mail of the old demo")
    stray = place / "media" / "uploads" / "stray.jpg"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"not part of the demo")

    banner = run(env, "manage.py", "demo_accounts").stdout
    assert "someone_new" not in banner and "judge_suzhou" in banner and "bidder_zhang" in banner

    run(env, "manage.py", "demo_reset")
    clock_is_real_time, stranger_still_there = run(env, "-c", READ_THE_DEMO).stdout.split()
    assert clock_is_real_time == "True" and stranger_still_there == "False"
    assert not stray.exists() and not (place / "mail" / "old.log").exists()
    assert "judge_suzhou" in run(env, "manage.py", "demo_accounts").stdout


def test_demo_reset_refuses_production(tmp_path):
    env = dict(os.environ, AUCTION_MODE="production", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="court.example")
    done = subprocess.run([sys.executable, "manage.py", "demo_reset"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "production" in (done.stderr + done.stdout)
