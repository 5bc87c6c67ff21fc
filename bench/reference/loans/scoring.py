"""
The credit score and the lending decision, by the product's rules (its docs/credit-score.md):
four components rounded half-up, the over-limit override, the score bands' rate floors, the
approved-limit and half-salary checks. Money in integer paise, rates in basis points.
"""
import calendar
from dataclasses import dataclass, field
from datetime import date


def divide_half_up(numerator, denominator):
    return (2 * numerator + denominator) // (2 * denominator)


def add_months(start, months):
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def whole_months_between(start, as_of):
    if as_of < start:
        return 0
    months = (as_of.year - start.year) * 12 + as_of.month - start.month
    day = min(start.day, calendar.monthrange(as_of.year, as_of.month)[1])
    return months - 1 if months > 0 and day > as_of.day else months


def instalments_due_before(start, day):
    months = whole_months_between(start, day)
    return months - 1 if months > 0 and add_months(start, months) == day else months


def monthly_instalment_paise(principal_paise, rate_bp, tenure):
    """EMI = P·r·(1+r)^n / ((1+r)^n − 1), r = bp / 120,000, exactly, rounded half-up to the paisa."""
    if rate_bp == 0:
        return divide_half_up(principal_paise, tenure)
    growth = (120_000 + rate_bp) ** tenure
    return divide_half_up(
        principal_paise * rate_bp * growth, 120_000 * (growth - 120_000**tenure)
    )


@dataclass
class Score:
    value: int
    breakdown: list = field(default_factory=list)
    over_limit: bool = False


def credit_score(loans, approved_limit_paise, as_of):
    past = [loan for loan in loans if loan.start_date <= as_of]
    current_amount = sum(loan.loan_amount_paise for loan in past if loan.is_current(as_of))

    due = paid_on_time = 0
    for loan in past:
        settled = max(loan.periods_settled or 0, loan.emis_paid_on_time)
        through = whole_months_between(loan.start_date, as_of)
        so_far = through if settled >= through else instalments_due_before(loan.start_date, as_of)
        loan_due = min(loan.tenure, so_far)
        if loan.closed_on and loan.closed_on < as_of:
            by_close = instalments_due_before(loan.start_date, loan.closed_on)
            loan_due = min(loan_due, max(by_close, settled))
        due += loan_due
        paid_on_time += min(loan.emis_paid_on_time, loan_due)
    on_time = 20 if due == 0 else divide_half_up(40 * paid_on_time, due)

    history = divide_half_up(20 * min(len(past), 5), 5)
    this_year = sum(1 for loan in past if loan.start_date.year == as_of.year)
    activity = max(0, 20 - 5 * this_year)
    volume = sum(loan.loan_amount_paise for loan in past)
    approved = (
        0
        if approved_limit_paise <= 0
        else divide_half_up(20 * min(volume, approved_limit_paise), approved_limit_paise)
    )

    breakdown = [
        {"component": "on_time_repayment", "points": on_time, "max_points": 40,
         "inputs": {"emis_due": due, "emis_paid_on_time": paid_on_time}},
        {"component": "loan_history", "points": history, "max_points": 20,
         "inputs": {"loans_taken": len(past)}},
        {"component": "current_year_activity", "points": activity, "max_points": 20,
         "inputs": {"loans_this_year": this_year}},
        {"component": "approved_volume", "points": approved, "max_points": 20,
         "inputs": {"loans_volume": volume / 100, "approved_limit": approved_limit_paise / 100}},
    ]
    total = on_time + history + activity + approved
    if current_amount > approved_limit_paise:
        breakdown.append({"component": "current_loans_over_limit", "points": -total,
                          "max_points": 0, "inputs": {"current_loans_amount": current_amount / 100}})
        return Score(0, breakdown, True)
    return Score(total, breakdown, False)


def rate_floor_bp(score):
    if score > 50:
        return None
    if score > 30:
        return 1200
    if score > 10:
        return 1600
    return None


def decide(customer, loans, amount_paise, rate_bp, tenure, as_of):
    score = credit_score(loans, customer.approved_limit_paise, as_of)
    floor = rate_floor_bp(score.value)
    corrected_bp = max(rate_bp, floor or 0)
    emi = monthly_instalment_paise(amount_paise, corrected_bp, tenure)
    current = [loan for loan in loans if loan.is_current(as_of)]
    current_amount = sum(loan.loan_amount_paise for loan in current)
    current_emi = sum(loan.monthly_payment_paise for loan in current)

    reasons = []
    if score.over_limit:
        reasons.append("CURRENT_LOANS_OVER_LIMIT")
    if score.value <= 10:
        reasons.append("CREDIT_SCORE_TOO_LOW")
    if current_amount + amount_paise > customer.approved_limit_paise:
        reasons.append("OVER_APPROVED_LIMIT")
    if 2 * (current_emi + emi) > customer.monthly_salary_paise:
        reasons.append("EMI_OVER_HALF_SALARY")
    return {
        "score": score,
        "rate_floor_bp": floor,
        "corrected_rate_bp": corrected_bp,
        "emi_paise": emi,
        "reasons": reasons,
        "current_amount_paise": current_amount,
        "current_emi_paise": current_emi,
    }
