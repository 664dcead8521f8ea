from django.urls import path

from bench import views

urlpatterns = [path("write-one-row/", views.write_one_row, name="bench-write-one-row"),
               path("drf-signal/", views.SignalBaselineDRF.as_view(), name="bench-drf-signal")]
