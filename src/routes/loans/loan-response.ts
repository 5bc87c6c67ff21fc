import type { CustomerRecord, LoanRecord } from "../../db/schema";
import { isCurrentLoan, repaymentsLeft } from "../../domain/loan-terms";
import { basisPointsToPercent, paiseToRupees } from "../../domain/money";

export function toLoanSummary(loan: LoanRecord, asOf: string) {
  return {
    loan_id: loan.id,
    source_loan_id: loan.sourceLoanId,
    loan_amount: paiseToRupees(loan.loanAmountPaise),
    interest_rate: basisPointsToPercent(loan.interestRateBp),
    monthly_installment: paiseToRupees(loan.monthlyPaymentPaise),
    tenure: loan.tenure,
    emis_paid_on_time: loan.emisPaidOnTime,
    repayments_left: repaymentsLeft(loan.tenure, loan.emisPaidOnTime),
    start_date: loan.startDate,
    end_date: loan.endDate,
    is_current: isCurrentLoan(loan, asOf),
  };
}

export function toLoanDetail(loan: LoanRecord, customer: CustomerRecord, asOf: string) {
  return {
    ...toLoanSummary(loan, asOf),
    customer: {
      id: customer.id,
      first_name: customer.firstName,
      last_name: customer.lastName,
      phone_number: customer.phoneNumber,
      age: customer.age,
    },
  };
}
