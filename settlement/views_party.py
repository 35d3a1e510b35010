"""执行公开 for the parties: the page and the API of a case's whole path (settlement.party reads it). Thin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site import clock
from auction_site.errors import DomainError, NotFound
from lots.deadlines import Deadline
from lots.models import EnforcementCase
from settlement import party

DEADLINE_LABELS = {
    "fix_price": _("确定参考价（查封后30日内）"),
    "start_sale": _("启动拍卖（参考价确定后10日内）"),
    "announcement_from": _("拍卖公告最早发布（通知当事人满3日后）"),
    "notify_parties": _("通知当事人（公告前至少3日）"),
    "release_deposits": _("退还其他竞买人保证金（竞价结束后24小时内）"),
    "balance": _("买受人付清尾款（公告期限内）"),
    "resume": _("恢复拍卖（中止事由消除后5日内）"),
}


def deadline_rows(rows: list[Deadline]) -> list[dict[str, Any]]:
    return [{"article": d.article, "kind": d.kind, "label": DEADLINE_LABELS.get(d.kind, d.kind), "due_at": d.due_at, "title": d.title,
             "done_at": d.detail.get("done_at"), "overdue": d.overdue and not d.detail.get("done_at")} for d in rows]


def _case(pk: int) -> EnforcementCase | None:
    return EnforcementCase.objects.select_related("court").filter(pk=pk).first()


def party_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """/party/cases/<id>/: only a party the judge linked to the case sees it (others: 403; no such case: 404)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    case = _case(case_id)
    if case is None:
        raise Http404
    try:
        party.ensure_party_of_case(request.user, case)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    now = clock.now()
    path = party.case_path(case, request.user, now)
    return render(request, "settlement/party_case.html", {"path": path, "deadlines": deadline_rows(path["deadlines"]),
                                                            "server_now": now.isoformat()})


def _jsonable(value: Any) -> Any:
    if isinstance(value, Deadline):
        return {"article": value.article, "kind": value.kind, "due_at": value.due_at.isoformat(), "done_at": _jsonable(value.detail.get("done_at")),
                "overdue": value.overdue and not value.detail.get("done_at"), "lot": value.lot_id, "round": value.round_id, "title": value.title}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k != "case"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


class PartyCaseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="执行公开: a case's whole path for a party linked to it "
                   "(valuation, rounds, case account, legal deadlines)")
    def get(self, request: Request, pk: int) -> Response:
        case = _case(pk)
        if case is None:
            raise NotFound("案件不存在 / no such case")
        party.ensure_party_of_case(request.user, case)
        return Response(_jsonable(party.case_path(case, request.user, clock.now())))
