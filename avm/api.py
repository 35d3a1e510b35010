"""Read-only public estimate from the built-in valuation model: GET /api/v1/avm/estimate/."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from auction_site.fields import DigitsField
from avm import service
from lots.models import Category


class EstimateAnonThrottle(AnonRateThrottle):
    scope = "avm_estimate_anon"
    rate = "30/min"


class EstimateUserThrottle(UserRateThrottle):
    scope = "avm_estimate_user"
    rate = "120/min"


class EstimateQuerySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    city = serializers.CharField(max_length=50)
    size = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    year_built = DigitsField(required=False, allow_null=True, min_value=1800, max_value=2200)
    kind = serializers.ChoiceField(choices=["apartment", "shop", "land", "car", "gold", "equity"], required=False, allow_blank=True)
    size_unit = serializers.CharField(max_length=16, required=False, allow_blank=True)


class EstimateView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [EstimateAnonThrottle, EstimateUserThrottle]

    @extend_schema(
        summary="Automated estimate from comparable past sales",
        parameters=[OpenApiParameter(n, required=n in {"category", "city", "size"}) for n in ("category", "city", "size", "year_built", "kind", "size_unit")],
        responses={200: inline_serializer("AvmEstimate", {"abstained": serializers.BooleanField(), "reason": serializers.CharField(required=False),
                                                          "price": serializers.IntegerField(required=False), "low": serializers.IntegerField(required=False),
                                                          "high": serializers.IntegerField(required=False), "confidence": serializers.FloatField(required=False),
                                                          "n": serializers.IntegerField(required=False), "comparables": serializers.ListField(required=False)})},
    )
    def get(self, request: Request) -> Response:
        q = EstimateQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        d = q.validated_data
        facts = {"category": d["category"], "city": d["city"], "size": d["size"], "year_built": d.get("year_built"),
                 "kind": d.get("kind") or "", "size_unit": d.get("size_unit") or None}
        quote = service.quote_facts(**facts)
        if quote is None:
            return Response({"abstained": True, "reason": service.abstention_reason(**facts)})
        return Response({"abstained": False, **quote.as_dict()})
