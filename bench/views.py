"""The baselines of the intake benchmark: a minimal Django view that writes one row, and a DRF view
that validates a signal-shaped serializer and returns the row it created."""

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.models import BaselineRow, BaselineSignal
from signin.tokens import ApiTokenAuthentication


@csrf_exempt  # a benchmark baseline on loopback only: the bench app is never installed in production
@require_POST
def write_one_row(request):
    row = BaselineRow.objects.create(text=request.POST.get("text", "")[:100])
    return JsonResponse({"id": row.pk}, status=201)


class BaselineChildSerializer(serializers.Serializer):
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    birth_date = serializers.DateField()


class BaselineSignalSerializer(serializers.ModelSerializer):
    """The signal's shape in stock DRF: a nested child (names, birth date), the school by id (looked
    up), the choices and the absence date, validated by their fields."""

    child = BaselineChildSerializer(source="*")

    class Meta:
        model = BaselineSignal
        fields = ["id", "child", "school", "sector", "registration", "category", "absent_since", "signaller_role",
                  "at"]
        read_only_fields = ["id", "at"]


class SignalBaselineDRF(APIView):
    """The intake benchmark's baseline: a DRF view with the same authentication (token), the same
    throttles (the project's defaults) and JSON parsing as the case API, validating a signal-shaped
    serializer and writing its row in a transaction; it answers 201 with the created row."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request):
        serializer = BaselineSignalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            serializer.save()
        return Response(serializer.data, status=201)
