"""The baselines of the intake benchmark: a minimal Django view and a DRF view that write one row."""

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.models import BaselineRow
from signin.tokens import ApiTokenAuthentication


@csrf_exempt  # a benchmark baseline on loopback only: the bench app is never installed in production
@require_POST
def write_one_row(request):
    row = BaselineRow.objects.create(text=request.POST.get("text", "")[:100])
    return JsonResponse({"id": row.pk}, status=201)


class WriteOneRowDRF(APIView):
    """The intake benchmark's baseline: a DRF view with the same authentication (token), the same
    throttles (the project's defaults) and JSON parsing as the case API, writing one row in a
    transaction."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request):
        with transaction.atomic():
            row = BaselineRow.objects.create(text=str(request.data.get("text", ""))[:100])
        return Response({"id": row.pk}, status=201)
