from django.urls import path

from sso import views

app_name = "sso"
urlpatterns = [
    path("sso/<slug:slug>/login", views.ProviderLoginView.as_view(), name="login"),
    path("sso/<slug:slug>/callback", views.ProviderCallbackView.as_view(), name="callback"),
    path("sso/signed-out", views.signed_out, name="signed-out"),
]
