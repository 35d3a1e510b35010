"""Thin API views of accounts: register a bidder, obtain a token, read your own account."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import AccountSerializer, RegisteredSerializer, RegisterSerializer, TokenRequestSerializer, TokenSerializer
from auction_site.errors import DomainError, ErrorCode

ERROR = OpenApiResponse(description="{'error': {'code', 'message'}}")


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredSerializer, 400: ERROR, 409: ERROR},
                   summary="Register a real-name bidder (ID number: GB 11643 or GB 32100 checksum)")
    def post(self, request: Request) -> Response:
        ser = RegisterSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = services.register_bidder(**ser.validated_data)
        token = services.issue_token(user)
        return Response(RegisteredSerializer(user, context={"token": token}).data, status=201)


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer, 400: ERROR}, summary="Obtain an API token")
    def post(self, request: Request) -> Response:
        ser = TokenRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        user = authenticate(request._request, username=ser.validated_data["username"], password=ser.validated_data["password"])
        if user is None or not user.is_active:
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, "用户名或密码错误 / wrong username or password")
        return Response({"token": services.issue_token(user)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: AccountSerializer, 401: ERROR}, summary="Your own account")
    def get(self, request: Request) -> Response:
        return Response(AccountSerializer(request.user).data)
