"""Connected systems in the admin: an administrator registers a system (its OAuth client and
account are made with it), rotates a client secret and switches a system off. A secret is shown
once, when it is made; only its hash is kept. django-oauth-toolkit's own admin pages are removed:
a client is only ever made as a connected system (client credentials, confidential)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from systems import clients
from systems import scopes as scope_vocabulary
from systems.models import ConnectedSystem

for model in (Application, AccessToken, Grant, IDToken, RefreshToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ConnectedSystemForm(forms.ModelForm):
    name = forms.CharField(label=_("name"), max_length=255, help_text=_("As shown in the access log and on cases."))
    scope_choices = forms.MultipleChoiceField(
        label=_("scopes"), choices=list(scope_vocabulary.SCOPES.items()), widget=forms.CheckboxSelectMultiple)

    jwks_url = forms.URLField(label=_("JWKS URL"), required=False, assume_scheme="https",
                              help_text=_("Or where the system publishes its keys (https)."))

    class Meta:
        model = ConnectedSystem
        fields = ["organisation", "organisation_name", "regions", "schools", "auth_method", "public_key", "jwks_url",
                  "contact"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["name"].initial = self.instance.application.name
            self.fields["scope_choices"].initial = self.instance.scope_list

    def clean_jwks_url(self):
        url = self.cleaned_data["jwks_url"]
        if url and not url.startswith("https://"):
            raise ValidationError(_("The JWKS URL must use https."))
        return url

    def clean(self):
        data = super().clean()
        if data.get("auth_method") == ConnectedSystem.AuthMethod.PRIVATE_KEY_JWT and \
                not (data.get("public_key", "").strip() or data.get("jwks_url")):
            raise ValidationError(_("private_key_jwt needs the system's public key or its JWKS URL."))
        return data


@admin.register(ConnectedSystem)
class ConnectedSystemAdmin(admin.ModelAdmin):
    form = ConnectedSystemForm
    list_display = ("__str__", "organisation_name", "auth_method", "scopes", "client_id", "active")
    list_filter = ("auth_method", "organisation")
    filter_horizontal = ("regions", "schools")
    readonly_fields = ("client_id", "account", "previous_secret_until", "created_at")
    actions = ["rotate_secret", "switch_off"]

    @admin.display(description=_("client id"))
    def client_id(self, system):
        return system.application.client_id if system.pk else "—"

    @admin.display(description=_("active"), boolean=True)
    def active(self, system):
        return system.account.is_active

    def save_model(self, request, obj, form, change):
        obj.scopes = " ".join(scope_vocabulary.parse(" ".join(form.cleaned_data["scope_choices"])))
        if change:
            obj.application.name = form.cleaned_data["name"]
            obj.application.save(update_fields=["name"])
            obj.save()
            return
        secret = clients.attach_client(obj, name=form.cleaned_data["name"])
        obj.save()
        if secret:
            messages.warning(request, _("The client secret, shown this once (only its hash is kept): %(secret)s")
                             % {"secret": secret})

    @admin.action(description=_("Rotate the client secret (the old one keeps working for the overlap)"))
    def rotate_secret(self, request, queryset):
        for system in queryset.select_related("application"):
            if system.auth_method != ConnectedSystem.AuthMethod.CLIENT_SECRET_BASIC:
                messages.error(request, _("%(system)s signs its assertions: it has no secret.") % {"system": system})
                continue
            secret = clients.rotate_secret(system)
            messages.warning(request, _("New secret of %(system)s, shown this once: %(secret)s")
                             % {"system": system, "secret": secret})

    @admin.action(description=_("Switch off (account inactive, access tokens ended)"))
    def switch_off(self, request, queryset):
        for system in queryset.select_related("account", "application"):
            ended = clients.end(system)
            messages.info(request, _("%(system)s switched off; %(count)s access tokens ended.")
                          % {"system": system, "count": ended})
