"""Issue 13, point 14: production never runs on the embedded (public) defaults. Started in
production mode without a secret key, allowed hosts or the webhook secrets, the site refuses to start
and names what is missing; with them it starts."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

REQUIRED = {
    "DJANGO_SECRET_KEY": "a-long-random-production-key-0123456789abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "auction.court.example",
    "STRIPE_WEBHOOK_SECRET": "whsec_production",
    "CASE_SYSTEM_WEBHOOK_SECRET": "case-system-production-secret",
}


def _start(env: dict, *, whole_site: bool = False) -> subprocess.CompletedProcess:
    """Load the settings as every process of the site does first (or the whole site: `manage.py check`)."""
    base = {k: v for k, v in os.environ.items() if k not in REQUIRED and k not in {"AUCTION_MODE", "PAYMENT_PROVIDER"}}
    command = ["manage.py", "check"] if whole_site else ["-c", "import auction_site.settings"]
    return subprocess.run([sys.executable, *command], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_production_without_any_of_them_names_them_all():
    proc = _start({"AUCTION_MODE": "production", "STRIPE_SECRET_KEY": "sk_live_x"})
    assert proc.returncode != 0
    err = proc.stderr
    assert "ImproperlyConfigured: AUCTION_MODE=production refuses to start without" in err
    for name in REQUIRED:
        assert name in err


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_production_names_the_one_missing(missing):
    env = {"AUCTION_MODE": "production", "STRIPE_SECRET_KEY": "sk_live_x", **REQUIRED, missing: "  "}  # blank counts as unset
    proc = _start(env)
    assert proc.returncode != 0
    refusal = [line for line in proc.stderr.splitlines() if "refuses to start without" in line]
    assert refusal and refusal[0].rstrip(":").endswith(missing), proc.stderr[-1500:]


def test_production_with_them_starts():
    proc = _start({"AUCTION_MODE": "production", "STRIPE_SECRET_KEY": "sk_live_x", **REQUIRED}, whole_site=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_production_without_stripe_needs_no_stripe_webhook_secret():
    env = {"AUCTION_MODE": "production", "PAYMENT_PROVIDER": "sandbox", "STRIPE_SECRET_KEY": "", **REQUIRED}
    del env["STRIPE_WEBHOOK_SECRET"]
    proc = _start(env)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_a_mistyped_mode_is_refused_not_taken_for_demo():
    proc = _start({"AUCTION_MODE": "prod"})
    assert proc.returncode != 0 and "AUCTION_MODE='prod'" in proc.stderr


def test_demo_and_test_modes_keep_their_embedded_defaults():
    for mode in ("demo", "test"):
        proc = _start({"AUCTION_MODE": mode})
        assert proc.returncode == 0, proc.stderr[-2000:]
