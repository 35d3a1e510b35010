"""The embedded mode's demo database (SQLite, no Redis), built once per test run and copied by each
test that needs it: migrating and loading the demo is the slow part, and on SQLite most of it is
waiting for fsync, so the files live on tmpfs when the machine has one."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def embedded_env(place: Path) -> dict:
    """The embedded defaults (none of the services' settings the test run has), kept in `place`."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "PAYMENT_PROVIDER"} and not k.startswith(("AWS_", "STRIPE_"))}
    env.update(DATABASE_URL=f"sqlite:///{place / 'demo.sqlite3'}", AUCTION_MODE="demo", MEDIA_ROOT=str(place / "media"),
               EMAIL_FILE_PATH=str(place / "mail"), DJANGO_SETTINGS_MODULE="auction_site.settings")
    return env


def run(env: dict, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def _demo_template():
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(prefix="auction-demo-", dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))
    env = embedded_env(base)
    run(env, "manage.py", "migrate", "-v0")
    run(env, "manage.py", "load_demo")
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def demo_copy(_demo_template):
    """A fresh copy of the migrated demo (database, media) in its own folder; returns (folder, env)."""
    place = Path(tempfile.mkdtemp(prefix="auction-demo-", dir=_demo_template.parent))
    shutil.copytree(_demo_template, place, dirs_exist_ok=True)
    yield place, embedded_env(place)
    shutil.rmtree(place, ignore_errors=True)
