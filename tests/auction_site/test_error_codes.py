"""Errors as types: every code the API and the websocket send is an ErrorCode member; one refusal type
carries its article; one situation of access gets one answer, whichever app asks."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auction_site.errors import WS_REFUSALS, DomainError, ErrorCode, Refusal, msg
from bidding import rules as bidding_rules
from lots import rules as lots_rules

ROOT = Path(__file__).resolve().parents[2]
# Every app of the site (a folder with an apps.py), and auction_site.
APPS = sorted({"auction_site"} | {p.parent.name for p in ROOT.glob("*/apps.py")})

# The websocket's refusal codes, as ARCHITECTURE.md's contract writes them.
CONTRACT_WS_REFUSALS = "too_low|not_on_increment|not_registered|not_open|closed|barred|rate_limited|invalid"

# Calls whose argument at this position is an error code (the others take the code as `code=`).
CODE_POSITION = {"DomainError": 0, "Conflict": 0, "Refusal": 0, "error_body": 0, "reject": 1}


def _sources():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def _string_literals(node: ast.AST):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.IfExp):
        yield from _string_literals(node.body)
        yield from _string_literals(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _string_literals(value)
    elif isinstance(node, ast.JoinedStr):
        yield node


def _call_name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def test_no_error_code_is_a_bare_string():
    """A refusal raised, returned or sent names its code as an ErrorCode member, never a string literal."""
    bare = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            found = []
            if isinstance(node, ast.Call):
                name = _call_name(node)
                pos = CODE_POSITION.get(name)
                if pos is not None and len(node.args) > pos:
                    found += _string_literals(node.args[pos])
                if name in CODE_POSITION or name in {"Forbidden", "GatewayError", "DomainError", "Refusal"}:
                    found += [lit for k in node.keywords if k.arg == "code" for lit in _string_literals(k.value)]
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "code":
                for c in node.comparators:
                    found += _string_literals(c)
            bare += [f"{path.relative_to(ROOT)}:{lit.lineno}" for lit in found]
    assert not bare, f"error codes written as bare strings (use ErrorCode): {bare}"


def test_error_codes_are_unique_snake_case_values():
    values = [c.value for c in ErrorCode]
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", v) for v in values)
    assert ErrorCode.TOO_LOW == "too_low" and f"{ErrorCode.OTHER_COURT}" == "other_court"


def test_websocket_refusals_are_the_contracts_and_a_subset_of_the_codes():
    assert WS_REFUSALS <= set(ErrorCode)
    assert {str(c) for c in WS_REFUSALS} == set(CONTRACT_WS_REFUSALS.split("|"))


def test_every_disclosure_a_rule_can_miss_has_its_code():
    violations = lots_rules.check_disclosures({}, has_photo=False, has_valuation_report=False)
    assert violations and all(isinstance(v.code, ErrorCode) and v.article in {"A13", "A14"} for v in violations)


def test_a_refusal_carries_its_article_into_the_error():
    now = datetime.now(UTC)
    too_low = bidding_rules.check_amount(100, starting_price=1000, increment=100, current_price=None,
                                         bidder_rank=None, leader_rank=None, is_leader=False)
    assert isinstance(too_low, Refusal) and too_low.code is ErrorCode.TOO_LOW and too_low.article == "A20"
    assert str(too_low).startswith("[A20] ")
    deposit = lots_rules.check_deposit(1, 1_000_000)
    assert deposit.code is ErrorCode.DEPOSIT_OUT_OF_RANGE and deposit.article == "A17"
    closed = bidding_rules.check_round_accepts_bids("closed", now, now - timedelta(days=1), now - timedelta(hours=1))
    assert closed.code in WS_REFUSALS
    err = DomainError(deposit, status=409)
    assert (err.code, err.article, err.message, err.status) == (ErrorCode.DEPOSIT_OUT_OF_RANGE, "A17", deposit.message, 409)
    assert DomainError(ErrorCode.INVALID, msg("无效", "invalid")).refusal == Refusal(ErrorCode.INVALID, "无效 / invalid")


# --- one answer per situation of access (lots/access.py), whichever app asks ---------------------------

@pytest.fixture
def judge_endpoints(enforcement_case):
    return [("post", "/api/v1/lots/", {"case": enforcement_case.pk, "title": "t", "category": "other", "description": "d", "location": "l"}),
            ("get", f"/api/v1/cases/{enforcement_case.pk}/account/", None)]


@pytest.mark.django_db
def test_not_signed_in_is_401_not_authenticated(api_client, judge_endpoints):
    for method, url, data in judge_endpoints:
        resp = getattr(api_client, method)(url, data, format="json")
        assert (resp.status_code, resp.json()["error"]["code"]) == (401, "not_authenticated"), url


@pytest.mark.django_db
def test_not_a_judge_is_403_forbidden(as_user, bidder, judge_endpoints):
    for method, url, data in judge_endpoints:
        resp = getattr(as_user(bidder), method)(url, data, format="json")
        assert (resp.status_code, resp.json()["error"]["code"]) == (403, "forbidden"), url


@pytest.mark.django_db
def test_a_judge_of_another_court_is_403_other_court(as_user, other_judge, judge_endpoints):
    for method, url, data in judge_endpoints:
        resp = getattr(as_user(other_judge), method)(url, data, format="json")
        assert (resp.status_code, resp.json()["error"]["code"]) == (403, "other_court"), url
