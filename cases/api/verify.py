"""``POST /api/v1/documents/verify/``: the public check of a signed decision, as JSON."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.schema import ApiSchema, errors
from cases.core.errors import InvalidInput
from cases.documents import verification


class VerifyRequestSerializer(serializers.Serializer):
    file = serializers.FileField(required=False)
    code = serializers.CharField(
        required=False,
        max_length=32,
        error_messages={
            "max_length": _("A verification code has 16 letters and digits."),
            "invalid": _("A verification code has 16 letters and digits."),
            "null_characters_not_allowed": _("A verification code has 16 letters and digits."),
        },
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("file") and not (attrs.get("code") or "").strip():
            raise serializers.ValidationError(
                {
                    "file": [
                        _(
                            "Send a PDF file (multipart, field “file”) or a verification code (“code”)."
                        )
                    ]
                }
            )
        upload = attrs.get("file")
        if upload and (attrs.get("code") or "").strip():
            raise serializers.ValidationError({"code": [verification.BOTH]})
        if upload is not None and upload.size > settings.UPLOAD_MAX_BYTES:
            raise serializers.ValidationError({"file": [_("File too large.")]})
        return attrs


class SignatureResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    organisation = serializers.CharField()
    serial = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    intact = serializers.BooleanField()
    trusted = serializers.BooleanField()
    revoked = serializers.BooleanField()


class DecisionResultSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    decided_on = serializers.DateField()
    issuing_body = serializers.CharField()
    version = serializers.IntegerField()


class VerifyResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    sha256 = serializers.CharField(source="check.sha256")
    signatures = SignatureResultSerializer(source="check.signatures", many=True)
    decision = DecisionResultSerializer(allow_null=True)


class VerifyDocumentView(APIView):
    """Anyone may check a file or a code; the answer names only the decision's number,
    date and issuing body."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [MultiPartParser, JSONParser]
    schema = ApiSchema()

    @extend_schema(
        tags=["documents"],
        summary="Verify a signed decision",
        description="Public, no sign-in. Send a PDF (`file`, multipart) or the code of its QR "
        "code (`code`). The answer says whether the file is intact, who signed it and when, "
        "whether the certificates chain to the trust roots or are revoked, and which decision "
        "it is (number, date, issuing body, version only).",
        request={
            "multipart/form-data": VerifyRequestSerializer,
            "application/json": VerifyRequestSerializer,
        },
        responses={200: VerifyResultSerializer, **errors(400, 404, 415)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = VerifyRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("file")
        if upload is not None:
            content = upload.read()
            if not content:
                raise InvalidInput(
                    _("The file is empty."), fields={"file": [_("The file is empty.")]}
                )
            result = verification.verify_file(content=content)
        else:
            result = verification.verify_code(code=data.validated_data["code"])
        return Response(VerifyResultSerializer(result).data)
