from datetime import date, datetime, timezone

from django.conf import settings
from django.shortcuts import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Customer
from .scoring import decide
from .serializers import EligibilityRequestSerializer, LoanSerializer, to_hundredths


def as_of_date():
    if settings.AS_OF_DATE:
        return date.fromisoformat(settings.AS_OF_DATE)
    return datetime.now(timezone.utc).date()


class ViewLoans(APIView):
    def get(self, request, customer_id):
        customer = get_object_or_404(Customer, pk=customer_id)
        loans = customer.loans.order_by("start_date", "id")
        serializer = LoanSerializer(loans, many=True, context={"as_of": as_of_date()})
        return Response(serializer.data)


class CheckEligibility(APIView):
    def post(self, request):
        serializer = EligibilityRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = get_object_or_404(Customer, pk=data["customer_id"])
        as_of = as_of_date()
        result = decide(
            customer,
            list(customer.loans.all()),
            to_hundredths(data["loan_amount"]),
            to_hundredths(data["interest_rate"]),
            data["tenure"],
            as_of,
        )
        floor = result["rate_floor_bp"]
        return Response(
            {
                "customer_id": customer.id,
                "approval": not result["reasons"],
                "loan_amount": float(data["loan_amount"]),
                "interest_rate": float(data["interest_rate"]),
                "corrected_interest_rate": result["corrected_rate_bp"] / 100,
                "rate_floor": None if floor is None else floor / 100,
                "tenure": data["tenure"],
                "monthly_installment": result["emi_paise"] / 100,
                "credit_score": result["score"].value,
                "score_breakdown": result["score"].breakdown,
                "reasons": result["reasons"],
                "current_loans_amount": result["current_amount_paise"] / 100,
                "current_loans_emi": result["current_emi_paise"] / 100,
                "approved_limit": customer.approved_limit_paise / 100,
                "monthly_income": customer.monthly_salary_paise / 100,
                "as_of": as_of.isoformat(),
            }
        )
