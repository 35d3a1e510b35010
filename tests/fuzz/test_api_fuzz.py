"""Property-based fuzzing of the whole public API from its OpenAPI schema (schemathesis + hypothesis).

Every operation of /api/schema/ is driven with generated requests, valid (positive) and invalid
(negative), by each kind of caller (anonymous, a judge, a bidder, a valuer), against the demo data
(rounds in every state, valuations, registrations), with path ids drawn from the rows that exist.
For every response:

- never a 5xx;
- the status code, content type and body conform to what the schema documents;
- every refusal (4xx) is in the contract's error shape {"error": {"code", "message"}};
- a refused call changed no row of any table (a per-table checksum before and after).

Runs are deterministic (hypothesis derandomised, no example database) and small: FUZZ_EXAMPLES
examples per operation and generation mode (default 6). The number of cases run is printed at the end
(README, Tests).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
RAN: Counter = Counter()

# Which table a path parameter points into, by the path segment before it.
ID_SOURCES = {
    "lots": ("lots", "Lot"), "rounds": ("lots", "Round"), "cases": ("lots", "EnforcementCase"), "media": ("lots", "Media"),
    "valuations": ("valuation", "Valuation"), "objections": ("valuation", "Objection"), "inquiries": ("valuation", "Inquiry"),
    "registrations": ("escrow", "Registration"), "balance-payments": ("escrow", "BalancePayment"),
}


def _tables() -> list[str]:
    with connection.cursor() as cur:
        names = connection.introspection.table_names(cur)
    return [n for n in names if n not in {"django_session"}]


def db_checksum(tables: list[str]) -> dict[str, tuple]:
    """(row count, sum of row hashes) per table, in one query."""
    parts = [f"SELECT '{t}', count(*), coalesce(sum(hashtext(x::text)::bigint), 0) FROM \"{t}\" x" for t in tables]
    with connection.cursor() as cur:
        cur.execute(" UNION ALL ".join(parts))
        return {name: (count, total) for name, count, total in cur.fetchall()}


def in_error_shape(response) -> bool:
    try:
        body = response.json()
    except Exception:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo data, committed once for this module (flushed after it, as a transactional test would),
    and a token for one user of each kind."""
    import time

    from django.apps import apps
    from django.test import override_settings
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from lots.media import ensure_bucket

    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    fast.enable()  # the demo's and the fuzzer's accounts: hashing is not what is under test
    t0 = time.monotonic()
    with django_db_blocker.unblock():
        ensure_bucket()
        call_command("load_demo", stdout=open(os.devnull, "w"))
        print(f"load_demo: {time.monotonic() - t0:.1f} s")
        callers = {"anonymous": {}}
        for role in ("judge", "bidder", "valuer", "party"):
            user = User.objects.filter(role=role).order_by("id").first()
            if role == "bidder":
                user = User.objects.filter(role=role, registrations__status="held").order_by("id").first() or user
            if user is not None:
                token, _ = Token.objects.get_or_create(user=user)
                callers[role] = {"Authorization": f"Token {token.key}"}
        ids = {}
        for segment, (app, model) in ID_SOURCES.items():
            ids[segment] = list(apps.get_model(app, model).objects.order_by("id").values_list("id", flat=True)[:40])
        tables = _tables()
        yield {"callers": callers, "ids": ids, "tables": tables}
        call_command("flush", interactive=False, verbosity=0)
    fast.disable()


@pytest.fixture(scope="module")
def api_schema(world, django_db_blocker):
    import time

    from django.core.wsgi import get_wsgi_application

    t0 = time.monotonic()
    with django_db_blocker.unblock():
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    print(f"schema: {time.monotonic() - t0:.1f} s")
    return schema


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django closes the database connection at the end of each request; under the test's transaction
    the WSGI calls must keep it open (Django's own test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _operations(api_schema) -> list:
    return [result.ok() for result in api_schema.get_all_operations()]


def _id_strategy(world, path: str, name: str, generated):
    segments = [s for s in path.split("/") if s]
    try:
        before = segments[segments.index("{" + name + "}") - 1]
    except (ValueError, IndexError):
        return st.just(generated)
    known = world["ids"].get(before) or []
    return st.sampled_from([*known, generated]) if known else st.just(generated)


def _has_inputs(operation) -> bool:
    raw = getattr(operation.definition, "raw", None) or {}
    return bool(raw.get("parameters") or raw.get("requestBody"))


def _fuzz_operation(operation, world, mode: GenerationMode) -> list[str]:
    problems: list[str] = []
    if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
        return problems  # nothing to make invalid
    strategy = operation.as_strategy(generation_mode=mode)
    callers = world["callers"]
    label = f"{operation.method.upper()} {operation.path}"

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(data=st.data())
    def run(data):
        case = data.draw(strategy)
        for name, value in list((case.path_parameters or {}).items()):
            case.path_parameters[name] = data.draw(_id_strategy(world, operation.path, name, value))
        role = data.draw(st.sampled_from(sorted(callers)))
        before = db_checksum(world["tables"])
        response = case.call(headers=callers[role])
        RAN[mode.value] += 1
        where = f"{label} [{mode.value}, {role}] -> {response.status_code}"
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises one group naming every failed check
            detail = " | ".join(str(exc).strip().splitlines()[:8])[:600]
            problems.append(f"{where}: {detail}\n    {case.as_curl_command()[:400]}")
            return
        if 400 <= response.status_code < 500:
            if not in_error_shape(response):
                problems.append(f"{where}: refusal not in the error shape: {response.content[:200]!r}")
            after = db_checksum(world["tables"])
            changed = sorted(t for t in after if after[t] != before.get(t))
            if changed:
                problems.append(f"{where}: a refused call changed rows of {changed}\n    {case.as_curl_command()[:400]}")

    try:
        run()
    except Unsatisfiable:  # nothing to negate (no parameters, no body): the positive run covered it
        assert mode is GenerationMode.NEGATIVE, label
    return problems


def _cases(api_schema_ops):
    return [pytest.param(op, id=f"{op.method.upper()} {op.path}") for op in api_schema_ops]


def pytest_generate_tests(metafunc):
    if "operation_label" in metafunc.fixturenames:
        metafunc.parametrize("operation_label", _labels())


def _labels() -> list[str]:
    """Every operation of the schema, read from the code (no server, no database)."""
    from drf_spectacular.generators import SchemaGenerator

    spec = SchemaGenerator().get_schema(request=None, public=True)
    return [f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item if m in {"get", "post", "put", "patch", "delete"}]


@pytest.mark.django_db
def test_every_operation_holds_under_generated_input(operation_label, api_schema, world):
    method, path = operation_label.split(" ", 1)
    operation = api_schema[path][method]
    problems = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        problems += _fuzz_operation(operation, world, mode)
    assert not problems, "\n".join(problems[:15])


def test_report_the_number_of_cases_run(capsys):
    """Runs last in this module (pytest keeps file order): the figure the README quotes."""
    total = sum(RAN.values())
    with capsys.disabled():
        print(f"\nAPI fuzz: {total} cases run ({RAN['positive']} positive, {RAN['negative']} negative), {EXAMPLES} examples per operation and mode")
    if RAN:
        assert total > 0

