from django.urls import path

from loans import views

urlpatterns = [
    path("view-loans/<int:customer_id>", views.ViewLoans.as_view()),
    path("check-eligibility", views.CheckEligibility.as_view()),
]
