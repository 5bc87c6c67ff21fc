import { describe, expect, it } from "vitest";
import { instalmentBasisOf } from "../../src/domain/instalment-basis";

describe("instalmentBasisOf", () => {
  it("says its displayed instalment is the workbook's until an API payment, then the schedule's", () => {
    expect(instalmentBasisOf("reconstructed", 0)).toBe("workbook");
    expect(instalmentBasisOf("reconstructed", 1)).toBe("schedule");
    // A booked loan shows its EMI from the start.
    expect(instalmentBasisOf("contract", 0)).toBe("schedule");
  });
});
