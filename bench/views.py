"""The baseline of the intake benchmark: a minimal Django view that writes one row."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.models import BaselineRow


@csrf_exempt  # a benchmark baseline on loopback only: the bench app is never installed in production
@require_POST
def write_one_row(request):
    row = BaselineRow.objects.create(text=request.POST.get("text", "")[:100])
    return JsonResponse({"id": row.pk}, status=201)
