"""Escrow's API views: thin; every write is a service call, every read a selector."""

import base64
import binascii
import json
import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auction_site.errors import DomainError, ErrorCode, NotFound, error_body
from auction_site.fields import FenField, StrictBooleanField, StrictCharField, StrictIntegerField, StrictRegexField
from escrow import balances, commitments, groups, selectors, services, webhooks
from escrow.bank import accounts as bank_accounts
from escrow.bank import services as bank_services
from escrow.models import Deposit, Registration
from lots.access import ensure_judge_of
from lots.models import EnforcementCase, Round

logger = logging.getLogger("escrow.api")


GroupOut = inline_serializer("RegistrationGroup", {
    "kind": serializers.ChoiceField(choices=["joint", "agent"], help_text="joint: 联合竞买; agent: 委托竞买"),
    "status": serializers.ChoiceField(choices=["pending", "confirmed", "rejected"],
                                      help_text="the court's confirmation; until confirmed the registration has no code and cannot bid"),
    "members": serializers.ListField(child=inline_serializer("GroupMemberOut", {
        "name": serializers.CharField(), "share": serializers.DecimalField(max_digits=5, decimal_places=2),
        "accepted": serializers.BooleanField(help_text="the co-bidder agreed in their own account (POST .../group/accept/)")}),
        help_text="joint: every buyer with their share in percent, the registrant first"),
    "principal_name": serializers.CharField(help_text="agent: the principal, who is the buyer"),
    "decided_at": serializers.DateTimeField(allow_null=True), "reason": serializers.CharField(),
}, allow_null=True)


class RegistrationSerializer(serializers.ModelSerializer):
    """The bidder's own registration (the code is shown only to its owner)."""

    deposit = serializers.SerializerMethodField()
    group = serializers.SerializerMethodField(help_text="joint or agent bidding (null for a single bidder)")

    class Meta:
        model = Registration
        fields = ["id", "round", "status", "code", "priority_rank", "created_at", "held_at", "deposit", "group"]

    @extend_schema_field(GroupOut)
    def get_group(self, reg: Registration) -> dict | None:
        g = selectors.group_of(reg)
        if g is None:
            return None
        return {"kind": g.kind, "status": g.status, "members": [{"name": m.name, "share": str(m.share), "accepted": m.accepted_at is not None} for m in g.members.all()],
                "principal_name": g.principal_name, "decided_at": g.decided_at, "reason": g.reason}

    def get_deposit(self, reg: Registration) -> dict | None:
        d = Deposit.objects.filter(registration=reg).first()
        if d is None:
            return None
        out = {"amount": d.amount, "provider": d.provider, "payment_intent": d.payment_intent_id, "provider_status": d.provider_status,
               "held_at": d.held_at, "applied_at": d.applied_at, "released_at": d.released_at, "refund": d.refund_id,
               "forfeited_at": d.forfeited_at, "release_due_at": selectors.release_deadline_for(reg.round)}
        if d.provider == bank_services.BANK:
            pr = bank_services.reference_for(reg)
            out["bank"] = bank_accounts.payment_info(pr) if pr else None
        return out


PaymentSerializer = inline_serializer("DepositPayment", {
    "provider": serializers.CharField(), "payment_intent": serializers.CharField(), "amount": serializers.IntegerField(),
    "client_secret": serializers.CharField(required=False, help_text="stripe: for Stripe.js"),
    "publishable_key": serializers.CharField(required=False),
    "confirm_url": serializers.CharField(required=False, help_text="sandbox: POST here with your token to pay "
                                         "(/api/v1/registrations/{id}/confirm/); answers the registration"),
    "pay_page_url": serializers.CharField(required=False, help_text="the browser page with the pay button (session login)"),
    "test_pay_url": serializers.CharField(required=False, help_text="test/demo mode: POST a test card here"),
})
RegisterResponse = inline_serializer("RegisterResponse", {"registration": RegistrationSerializer(), "payment": PaymentSerializer})


class CoBidderIn(serializers.Serializer):
    """A co-bidder of a joint bid: a real-name bidder account named by its real name and ID number."""

    name = StrictCharField(max_length=200)
    id_number = StrictCharField(max_length=18)
    share = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="percent, e.g. 40 or 33.33")
    legal_representative = StrictCharField(required=False, allow_blank=True, max_length=200, help_text="a company co-bidder")
    legal_representative_id = StrictCharField(required=False, allow_blank=True, max_length=18)


class RegisterRequest(serializers.Serializer):
    """Optional: with `accept_notice` the registration records the signed commitment (竞买承诺书), as the page does."""

    accept_notice = StrictBooleanField(required=False)
    signed_name = StrictCharField(required=False, allow_blank=True, max_length=200)
    priority = StrictBooleanField(required=False, default=False)
    legal_representative = StrictCharField(required=False, allow_blank=True, max_length=200)
    legal_representative_id = StrictCharField(required=False, allow_blank=True, max_length=18)
    licence = StrictCharField(required=False, allow_blank=True, help_text="the business licence, base64 (PDF, JPG or PNG)")
    # joint bidding (联合竞买) / agent bidding (委托竞买): optional; confirmed by the court before bidding opens
    mode = serializers.ChoiceField(choices=["single", "joint", "agent"], required=False, default="single",
                                   help_text="single (default), joint (联合竞买: with co_bidders and share) or agent (委托竞买: "
                                             "principal_name, principal_id_number, power_of_attorney); joint and agent registrations "
                                             "are taken only before bidding opens and bid only once the court confirmed them")
    share = serializers.DecimalField(max_digits=5, decimal_places=2, required=False,
                                     help_text="joint: the registrant's own share in percent; with the co-bidders' shares it sums to 100")
    co_bidders = CoBidderIn(many=True, required=False, help_text="joint: the other buyers, each a real-name bidder account")
    principal_name = StrictCharField(required=False, allow_blank=True, max_length=200, help_text="agent: the principal (委托人), the buyer")
    principal_id_number = StrictCharField(required=False, allow_blank=True, max_length=18,
                                          help_text="agent: the principal's resident ID number or unified social credit code")
    power_of_attorney = StrictCharField(required=False, allow_blank=True,
                                        help_text="agent: the power of attorney (授权委托书), a PDF, base64")


def _declaration(request: Request) -> commitments.Declaration | None:
    body = request.data
    if not body:
        return None  # the contract's bare call: registration without a recorded commitment
    if not isinstance(body, dict):
        raise DomainError(ErrorCode.MALFORMED, "请求体须为 JSON 对象 / the body must be a JSON object")
    data = RegisterRequest(data=body)  # a body sent is validated whole, exactly (issue 13): nothing ignored
    data.is_valid(raise_exception=True)
    v = data.validated_data
    if "accept_notice" not in v:
        if v.get("mode", "single") != "single":
            raise DomainError(ErrorCode.NOTICE_NOT_ACCEPTED, "联合竞买、委托竞买须阅读并同意竞买公告和竞买须知并签署承诺书 / joint and agent "
                                                              "registrations accept the notice and sign the commitment (accept_notice, signed_name)")
        return None
    try:
        licence = base64.b64decode(v["licence"], validate=True) if v.get("licence") else None
    except (binascii.Error, ValueError):
        raise DomainError(ErrorCode.INVALID_LICENCE, "营业执照须为 base64 编码 / the licence must be base64") from None
    return commitments.Declaration(
        accept_notice=bool(v.get("accept_notice")), signed_name=v.get("signed_name", ""), priority=v.get("priority", False),
        ip=request.META.get("REMOTE_ADDR"), user_agent=request.META.get("HTTP_USER_AGENT", ""),
        legal_representative=v.get("legal_representative", ""), legal_representative_id=v.get("legal_representative_id", ""),
        licence=licence, group=_group_declaration(v))


def _group_declaration(v: dict) -> groups.GroupDeclaration | None:
    mode = v.get("mode") or "single"
    if mode == "single":
        return None
    poa = None
    if v.get("power_of_attorney"):
        try:
            poa = base64.b64decode(v["power_of_attorney"], validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(ErrorCode.POA_NOT_PDF, "授权委托书须为 base64 编码的 PDF / the power of attorney must be a base64 PDF") from None
    return groups.GroupDeclaration(
        kind=mode, share=v.get("share"), principal_name=v.get("principal_name", ""),
        principal_id_number=v.get("principal_id_number", ""), power_of_attorney=poa,
        co_bidders=[groups.CoBidder(**c) for c in v.get("co_bidders", [])])


class RegisterView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=RegisterRequest, responses={201: RegisterResponse})
    def post(self, request: Request, round_id: int) -> Response:
        # Routed by size: over the card provider's limit, a payment reference into the case account.
        reg, payment = bank_services.register(request.user, round_id=round_id, declaration=_declaration(request))
        return Response({"registration": RegistrationSerializer(reg).data, "payment": payment}, status=201)


class GroupDecisionRequest(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, max_length=500, help_text="required when refusing")


class GroupDecisionView(APIView):
    """The judge of the round's court confirms (or refuses) a joint or agent registration before bidding opens;
    `accept`: a co-bidder agrees to the joint bid that names them (every one must, before the court confirms)."""

    permission_classes = [IsAuthenticated]
    decision = "confirm"

    @extend_schema(request=GroupDecisionRequest, responses={200: GroupOut},
                   description="confirm/reject: the judge of the round's court only (403 other_court); before bidding opens "
                               "(409 group_too_late); once (409 already_decided); confirm only once every co-bidder accepted "
                               "(409 co_bidder_not_accepted). A confirmed group with its deposit held gets its bidder code. "
                               "accept: a co-bidder named in the joint bid (404 otherwise).")
    def post(self, request: Request, pk: int) -> Response:
        ser = GroupDecisionRequest(data=request.data or {})
        ser.is_valid(raise_exception=True)
        if self.decision == "accept":
            services.accept_joint_bid(request.user, registration_id=pk)
        elif self.decision == "confirm":
            services.confirm_group(request.user, registration_id=pk)
        else:
            services.reject_group(request.user, registration_id=pk, reason=ser.validated_data.get("reason", ""))
        reg = Registration.objects.get(pk=pk)
        return Response(RegistrationSerializer().get_group(reg))


class CardSerializer(serializers.Serializer):
    """Card data as text (a number would lose leading zeros): digits, single spaces between groups allowed."""

    number = StrictRegexField(r"^[0-9](?:[0-9]| (?=[0-9])){11,22}$")
    exp_month = StrictIntegerField(min_value=1, max_value=12)
    exp_year = StrictIntegerField(min_value=2000, max_value=2100)
    cvc = StrictRegexField(r"^[0-9]{3,4}$")


class PayRequest(serializers.Serializer):
    card = CardSerializer()


class RegistrationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RegistrationSerializer})
    def get(self, request: Request, pk: int) -> Response:
        reg = services.own_registration(request.user, registration_id=pk, allow_court=False)
        return Response(RegistrationSerializer(reg).data)


class MyRegistrationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RegistrationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        regs = Registration.objects.filter(bidder=request.user).order_by("-created_at")[:200]
        return Response(RegistrationSerializer(regs, many=True).data)


class RegistrationPayView(APIView):
    """Test/demo mode only: confirm the deposit server-side with a test card (Stripe.js cannot load offline)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=PayRequest, responses={200: RegistrationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        if not settings.CLOCK_ADVANCE_ALLOWED:
            raise NotFound()
        ser = PayRequest(data=request.data)
        ser.is_valid(raise_exception=True)
        card = dict(ser.validated_data["card"])
        card["number"] = card["number"].replace(" ", "")
        if Deposit.objects.filter(registration_id=pk, provider=bank_services.BANK, registration__bidder=request.user).exists():
            raise DomainError(ErrorCode.BANK_TRANSFER, "该保证金须通过银行转账缴纳，不能用银行卡 / this deposit is paid by bank transfer, not by card", status=409)
        reg = services.pay_with_test_card(request.user, registration_id=pk, card=card)
        return Response(RegistrationSerializer(reg).data)


class RegistrationConfirmView(APIView):
    """The sandbox provider's confirmation for API clients: what the pay page's button does, with a token."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: RegistrationSerializer},
                   summary="Sandbox provider: pay the deposit (the payment's confirm_url; token auth, no browser session)",
                   description="POST with `Authorization: Token <token>` and no body. The sandbox payment moves to succeeded, "
                               "the deposit is held and the bidder code issued; a repeated call answers the same registration. "
                               "400 wrong_provider for a Stripe payment (use client_secret, or test_pay_url in test/demo mode).")
    def post(self, request: Request, pk: int) -> Response:
        reg = services.sandbox_pay(request.user, registration_id=pk)
        return Response(RegistrationSerializer(reg).data)


class BalanceConfirmView(APIView):
    """The sandbox provider's confirmation of a balance payment for API clients."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: inline_serializer("BalancePaymentState", {
        "id": serializers.IntegerField(), "round": serializers.IntegerField(), "amount": serializers.IntegerField(),
        "status": serializers.CharField()})},
        summary="Sandbox provider: pay the balance (the balance payment's confirm_url; token auth)")
    def post(self, request: Request, pk: int) -> Response:
        bp = balances.sandbox_pay_balance(request.user, payment_id=pk)
        return Response({"id": bp.pk, "round": bp.round_id, "amount": bp.amount, "status": bp.status})


class RegistrationRecheckView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: RegistrationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        reg = services.recheck_registration(request.user, registration_id=pk)
        return Response(RegistrationSerializer(reg).data)


class PayBalanceRequest(serializers.Serializer):
    card = CardSerializer(required=False)


class PayBalanceView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=PayBalanceRequest, responses={200: None})
    def post(self, request: Request, round_id: int) -> Response:
        ser = PayBalanceRequest(data=request.data or {})
        ser.is_valid(raise_exception=True)
        card = ser.validated_data.get("card")
        if card is not None:
            card = dict(card)
            card["number"] = card["number"].replace(" ", "")
        if card is None:
            bp, info = bank_services.pay_balance(request.user, round_id=round_id)  # routed by size
        else:
            bank_services.ensure_card_fits(round_id)  # an amount over the card provider's limit is never sent to it
            bp, info = balances.start_balance_payment(request.user, round_id=round_id, card=card)
        rnd = Round.objects.get(pk=round_id)
        return Response({"round": {"id": rnd.pk, "status": rnd.status, "sold_price": rnd.sold_price},
                         "balance_remaining": balances.balance_remaining(rnd), "payment": info})


class TransferRequest(serializers.Serializer):
    amount = FenField()
    reference = StrictCharField(max_length=200, min_length=1)


class ConfirmTransferView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=TransferRequest, responses={201: None})
    def post(self, request: Request, round_id: int) -> Response:
        ser = TransferRequest(data=request.data)
        ser.is_valid(raise_exception=True)
        bp = balances.confirm_transfer(request.user, round_id=round_id, amount=ser.validated_data["amount"], reference=ser.validated_data["reference"])
        bp.round.refresh_from_db()
        return Response({"payment": {"id": bp.pk, "amount": bp.amount, "reference": bp.reference, "status": bp.status},
                         "round": {"id": bp.round_id, "status": bp.round.status},
                         "balance_remaining": balances.balance_remaining(bp.round)}, status=201)


def _case_for_judge(user, case_id: int) -> EnforcementCase:
    case = EnforcementCase.objects.select_related("court").filter(pk=case_id).first()
    if case is None:
        raise NotFound("案件不存在 / no such case")
    ensure_judge_of(user, case)
    return case


class CaseAccountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: None})
    def get(self, request: Request, case_id: int) -> Response:
        case = _case_for_judge(request.user, case_id)
        acct = selectors.case_account(case)
        return Response({"case": {"id": case.pk, "case_number": case.case_number}, "balance": acct["balance"],
                         "main_balance": acct["main_balance"], "forfeit_balance": acct["forfeit_balance"],
                         "entries": [{**e, "at": e["at"].isoformat()} for e in acct["entries"]]})


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(View):
    """Stripe webhooks: signature verified on the RAW body; each event processed once; the real state re-fetched."""

    def post(self, request: HttpRequest) -> JsonResponse:
        payload = request.body
        header = request.META.get("HTTP_STRIPE_SIGNATURE", "")
        try:
            event = stripe.Webhook.construct_event(payload, header, settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.SignatureVerificationError) as e:
            logger.warning("refused webhook: %s", e)
            return JsonResponse(error_body(ErrorCode.INVALID_SIGNATURE, "签名无效或已过期 / invalid or stale signature"), status=400)
        try:
            data = json.loads(payload)
            outcome = webhooks.handle_provider_event(data)
        except DomainError as e:
            logger.warning("webhook %s not processed: %s", getattr(event, "id", "?"), e.message)
            return JsonResponse(error_body(e.code, e.message), status=e.status if e.status < 500 else 503)
        return JsonResponse({"received": True, "outcome": outcome})
