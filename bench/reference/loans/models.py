"""
The product's own tables, read as they are (`managed = False`): money in integer paise, rates in
basis points, dates as ISO text, so both servers answer from the same rows.
"""
from django.db import models


class Customer(models.Model):
    first_name = models.TextField()
    last_name = models.TextField()
    age = models.IntegerField()
    phone_number = models.BigIntegerField(unique=True)
    monthly_salary_paise = models.BigIntegerField()
    approved_limit_paise = models.BigIntegerField()

    class Meta:
        managed = False
        db_table = "customers"


class Loan(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="loans")
    source_loan_id = models.BigIntegerField(null=True)
    loan_amount_paise = models.BigIntegerField()
    tenure = models.IntegerField()
    interest_rate_bp = models.IntegerField()
    monthly_payment_paise = models.BigIntegerField()
    emis_paid_on_time = models.IntegerField(default=0)
    periods_settled = models.IntegerField(null=True)
    start_date = models.DateField()
    end_date = models.DateField()
    closed_on = models.DateField(null=True)

    class Meta:
        managed = False
        db_table = "loans"

    def is_current(self, as_of):
        return self.start_date <= as_of <= self.end_date and self.closed_on is None
