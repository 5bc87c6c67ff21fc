import { describe, expect, it } from "vitest";
import { type HeaderCell, headerKey, lenderHeaders, mapHeaders } from "../../scripts/lib/headers";

function cells(...texts: string[]): HeaderCell[] {
  return texts.map((text, index) => ({ column: index + 1, text }));
}

describe("mapHeaders", () => {
  it("maps the lender's loan headers, Date of Approval to start_date", () => {
    const mapping = mapHeaders("loans", cells(...lenderHeaders("loans")));
    expect(mapping.ok).toBe(true);
    if (!mapping.ok) return;
    const byField = Object.fromEntries(mapping.columns.map((c) => [c.field, c.column]));
    expect(byField).toEqual({
      customer_id: 1,
      loan_id: 2,
      loan_amount: 3,
      tenure: 4,
      interest_rate: 5,
      monthly_payment: 6,
      emis_paid_on_time: 7,
      start_date: 8,
      end_date: 9,
    });
  });

  it("ignores case, whitespace and underscores, and finds reordered columns", () => {
    const mapping = mapHeaders(
      "customers",
      cells(
        " approved_LIMIT",
        "AGE",
        "first  name",
        "Last_Name",
        "phone number",
        "monthly_salary",
        "customer_id",
      ),
    );
    expect(mapping.ok && mapping.columns.find((c) => c.field === "customer_id")?.column).toBe(7);
    expect(mapping.ok && mapping.columns.find((c) => c.field === "approved_limit")?.header).toBe(
      "approved_LIMIT",
    );
  });

  it("accepts start_date and date_of_approval for the approval date", () => {
    for (const name of ["start_date", "date_of_approval", "DATE OF APPROVAL"]) {
      const headers = lenderHeaders("loans").map((h) => (h === "Date of Approval" ? name : h));
      expect(mapHeaders("loans", cells(...headers)).ok, name).toBe(true);
    }
  });

  it("ignores extra columns", () => {
    expect(mapHeaders("customers", cells("Notes", ...lenderHeaders("customers"), "")).ok).toBe(
      true,
    );
  });

  it("names every missing column", () => {
    const headers = lenderHeaders("loans").filter((h) => h !== "Tenure" && h !== "End Date");
    const mapping = mapHeaders("loans", cells(...headers));
    expect(mapping).toEqual({
      ok: false,
      problem: 'missing required columns "Tenure" (tenure), "End Date" (end_date)',
    });
  });

  it("refuses two columns that mean the same field", () => {
    const mapping = mapHeaders("customers", cells(...lenderHeaders("customers"), "customer_id"));
    expect(mapping.ok).toBe(false);
    if (!mapping.ok) expect(mapping.problem).toContain('"Customer ID" and "customer_id"');
  });
});

describe("headerKey", () => {
  it("makes the lender's header and the snake_case name equal", () => {
    expect(headerKey("EMIs paid on Time")).toBe(headerKey("emis_paid_on_time"));
    expect(headerKey("Monthly payment")).toBe(headerKey(" MONTHLY\tPAYMENT "));
    expect(headerKey("Loan ID")).not.toBe(headerKey("Loan Amount"));
  });
});
