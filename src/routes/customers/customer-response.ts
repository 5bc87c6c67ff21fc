import type { CustomerRecord } from "../../db/schema";
import { paiseToRupees } from "../../domain/money";

export function toCustomerResponse(customer: CustomerRecord) {
  return {
    customer_id: customer.id,
    name: `${customer.firstName} ${customer.lastName}`,
    first_name: customer.firstName,
    last_name: customer.lastName,
    age: customer.age,
    monthly_income: paiseToRupees(customer.monthlySalaryPaise),
    approved_limit: paiseToRupees(customer.approvedLimitPaise),
    phone_number: customer.phoneNumber,
  };
}
