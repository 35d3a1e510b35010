"""Issue 13, point 13: each test run gets a localstripe of its own. Two runs of scripts/test.sh on
one machine, one after the other (as two developers', or CI and a developer's, may be): the second
sees nothing the first made, and neither writes localstripe's shared store file."""

import os
import subprocess
import uuid

from tests.conftest import ROOT


def _run_suite_once(mark: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "STRIPE_API_BASE"}  # each run starts its own localstripe
    env["PROBE_MARK"] = mark
    return subprocess.run(["scripts/test.sh", "tests/auction_site/probe_localstripe.py", "-q", "-p", "no:randomly"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)


def test_two_runs_on_one_machine_share_no_provider_state():
    mark = uuid.uuid4().hex
    for run in (1, 2):
        proc = _run_suite_once(mark)
        assert proc.returncode == 0, f"run {run}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
        assert "1 passed" in proc.stdout
