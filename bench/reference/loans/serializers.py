from decimal import ROUND_HALF_UP, Decimal

from rest_framework import serializers

from .models import Loan


def to_hundredths(value):
    """Rupees to paise, or a percentage to basis points, rounded half-up."""
    return int((Decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class LoanSerializer(serializers.ModelSerializer):
    loan_id = serializers.IntegerField(source="id")
    loan_amount = serializers.SerializerMethodField()
    interest_rate = serializers.SerializerMethodField()
    monthly_installment = serializers.SerializerMethodField()
    repayments_left = serializers.SerializerMethodField()
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "loan_id",
            "source_loan_id",
            "loan_amount",
            "interest_rate",
            "monthly_installment",
            "tenure",
            "emis_paid_on_time",
            "repayments_left",
            "start_date",
            "end_date",
            "is_current",
            "closed_on",
        ]

    def get_loan_amount(self, loan):
        return loan.loan_amount_paise / 100

    def get_interest_rate(self, loan):
        return loan.interest_rate_bp / 100

    def get_monthly_installment(self, loan):
        return loan.monthly_payment_paise / 100

    def get_repayments_left(self, loan):
        if loan.closed_on is not None:
            return 0
        settled = max(loan.periods_settled or 0, loan.emis_paid_on_time)
        return max(0, loan.tenure - settled)

    def get_is_current(self, loan):
        return loan.is_current(self.context["as_of"])


class EligibilityRequestSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(min_value=1)
    loan_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    interest_rate = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    tenure = serializers.IntegerField(min_value=1, max_value=600)
