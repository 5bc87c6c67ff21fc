import { describe, expect, it } from "vitest";
import type { ScoreComponent } from "../../src/domain/credit-score";
import {
  explainRefusals,
  PRINCIPAL_REASONS,
  scoreFactors,
} from "../../src/domain/principal-reasons";

function part(component: ScoreComponent["component"], points: number, max: number): ScoreComponent {
  return { component, points, max_points: max, detail: "", inputs: {} };
}

const lowScore = [
  part("on_time_repayment", 4, 40),
  part("loan_history", 4, 20),
  part("current_year_activity", 0, 20),
  part("approved_volume", 2, 20),
];

describe("principal reasons", () => {
  it("word every refusal code as a refusal letter would", () => {
    expect(PRINCIPAL_REASONS).toEqual({
      CURRENT_LOANS_OVER_LIMIT: "Existing loans already exceed the credit limit",
      CREDIT_SCORE_TOO_LOW: "Credit score below the minimum required",
      OVER_APPROVED_LIMIT: "Amount requested exceeds the available credit limit",
      EMI_OVER_HALF_SALARY: "Excessive obligations in relation to income",
    });
  });

  it("name the components that cost the most points, worst first, ties in breakdown order", () => {
    expect(scoreFactors(lowScore).map((factor) => [factor.component, factor.pointsLost])).toEqual([
      ["on_time_repayment", 36],
      ["current_year_activity", 20],
      ["approved_volume", 18],
      ["loan_history", 16],
    ]);
  });

  it("name at most four, never one that cost nothing, and count what the override took", () => {
    const overridden = [
      part("on_time_repayment", 40, 40),
      part("loan_history", 20, 20),
      part("current_year_activity", 15, 20),
      part("approved_volume", 20, 20),
      part("current_loans_over_limit", -95, 0),
    ];
    expect(scoreFactors(overridden).map((f) => [f.component, f.pointsLost])).toEqual([
      ["current_loans_over_limit", 95],
      ["current_year_activity", 5],
    ]);
    const everyOneCosts = [...lowScore, part("current_loans_over_limit", -10, 0)];
    expect(scoreFactors(everyOneCosts)).toHaveLength(4);
  });

  it("attach score factors to CREDIT_SCORE_TOO_LOW only", () => {
    const explained = explainRefusals(
      [
        { code: "CREDIT_SCORE_TOO_LOW", message: "low" },
        { code: "EMI_OVER_HALF_SALARY", message: "emi" },
      ],
      lowScore,
    );
    expect(explained[0]?.scoreFactors?.[0]).toEqual({
      component: "on_time_repayment",
      pointsLost: 36,
      description: "Instalments not paid on time",
    });
    expect(explained[1]).toEqual({
      code: "EMI_OVER_HALF_SALARY",
      message: "emi",
      principalReason: "Excessive obligations in relation to income",
    });
  });
});
