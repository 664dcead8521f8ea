"""The account page ("Mijn account"): who you are signed in as, and your API keys ("API-sleutels"):
when each was issued, last used and expires, and what asked for it; revoking one ends it at once.
Only your own keys: another user's key is a 404, as if it did not exist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.access import parse_id
from signin.models import ApiToken
from signin.tokens import end_token, live_tokens, token_lifetime


@login_required
def account(request):
    hours = token_lifetime().total_seconds() / 3600
    return render(request, "casework/account.html", {
        "tokens": live_tokens(request.user),
        "token_hours": int(hours) if hours.is_integer() else round(hours, 1),
    })


@login_required
@require_POST
def revoke_token(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=parse_id(token_id), user=request.user)
    end_token(token, request, how="revoked on the account page")
    messages.success(request, _("The API key has been revoked: it no longer works."))
    return redirect("account")
