import type { CustomerRecord } from "../../db/schema";
import { paiseToRupees } from "../../domain/money";

export type CustomerResponse = ReturnType<typeof toCustomerResponse>;

/** The response's fields of a customer; the record's creation time is not one of them. */
export function toCustomerResponse(customer: Omit<CustomerRecord, "createdAt">) {
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
