// npm run bench:reference's pure parts: which answers count as the same, and the medians it
// reports. The run itself needs Django, gunicorn and wrk, and is not a test.
import { describe, expect, it } from "vitest";
import { median } from "../../bench/lib/comparison";
import {
  eligibilityDiffers,
  loansDiffer,
  markdown,
  type ReferenceRun,
  ratios,
  referenceRequest,
  summarise,
} from "../../bench/lib/reference";
import type { WrkResult } from "../../bench/lib/wrk";

const loan = {
  loan_id: 5543,
  loan_amount: 400000,
  interest_rate: 17.94,
  monthly_installment: 23161,
  tenure: 174,
  emis_paid_on_time: 92,
  repayments_left: 82,
  start_date: "2010-05-20",
  end_date: "2024-11-20",
  is_current: false,
};

const eligibility = {
  customer_id: 173,
  approval: false,
  corrected_interest_rate: 12,
  rate_floor: 12,
  monthly_installment: 4707.35,
  credit_score: 45,
  current_loans_amount: 800000,
  current_loans_emi: 32740,
  approved_limit: 4600000,
  score_breakdown: [
    { component: "on_time_repayment", points: 29 },
    { component: "loan_history", points: 16 },
  ],
};

describe("the answers both servers must agree on", () => {
  it("takes view-loans' key fields as the same whatever else either adds", () => {
    const product = [{ ...loan, monthly_installment_basis: "workbook", status: "active" }];
    expect(loansDiffer(product, [{ ...loan, loan_amount: 400000.0 }])).toEqual([]);
  });

  it("names each loan field that differs, and a different number of loans", () => {
    expect(loansDiffer([loan], [{ ...loan, repayments_left: 81 }])).toEqual([
      "loan 1 repayments_left: 82 against 81",
    ]);
    expect(loansDiffer([loan, loan], [loan])).toEqual(["2 loans against 1"]);
    expect(loansDiffer({ type: "/problems/not-found" }, [loan])).toEqual([
      "not both lists of loans",
    ]);
  });

  it("reads a refusal's code from the product's object and the stand-in's string alike", () => {
    const product = {
      ...eligibility,
      reasons: [{ code: "EMI_OVER_HALF_SALARY", message: "Monthly instalments …" }],
    };
    const reference = { ...eligibility, reasons: ["EMI_OVER_HALF_SALARY"] };
    expect(eligibilityDiffers(product, reference)).toEqual([]);
    expect(eligibilityDiffers(product, { ...reference, reasons: [] })).toEqual([
      "answer reasons: EMI_OVER_HALF_SALARY against ",
    ]);
  });

  it("compares the score's components point by point", () => {
    const reference = {
      ...eligibility,
      reasons: [],
      score_breakdown: [
        { component: "on_time_repayment", points: 30 },
        { component: "loan_history", points: 16 },
      ],
    };
    expect(eligibilityDiffers({ ...eligibility, reasons: [] }, reference)).toEqual([
      "answer score_breakdown: on_time_repayment=29,loan_history=16 against on_time_repayment=30,loan_history=16",
    ]);
  });
});

describe("the requests measured", () => {
  it("are the issue's: customer 8's loans and an eligibility check for customer 173", () => {
    expect(referenceRequest("GET /view-loans/8")).toEqual({
      method: "GET",
      path: "/view-loans/8",
    });
    const check = referenceRequest("POST /check-eligibility");
    expect(check.path).toBe("/check-eligibility");
    expect(JSON.parse(check.body ?? "")).toMatchObject({ customer_id: 173 });
  });
});

function run(
  round: number,
  target: ReferenceRun["target"],
  requests: number,
  p99: number,
  cpuUsPerRequest: number | null,
  failed = 0,
): ReferenceRun {
  const result: WrkResult = {
    requests,
    seconds: 5,
    latencyMeanMs: 1,
    latencyP50Ms: 1,
    latencyP99Ms: p99,
    statusCodes: failed > 0 ? { "2xx/3xx": requests - failed, "4xx/5xx": failed } : {},
    errors: 0,
  };
  const cpuSeconds = cpuUsPerRequest === null ? null : (requests * cpuUsPerRequest) / 1e6;
  return { round, endpoint: "GET /view-loans/8", target, result, loadAverage: 1, cpuSeconds };
}

describe("the report", () => {
  const runs = [
    run(1, "reference (Django/DRF)", 5000, 30, 2400),
    run(1, "product (npm run serve)", 40000, 4, 150),
    run(2, "reference (Django/DRF)", 4000, 50, 2000, 3),
    run(2, "product (npm run serve)", 50000, 6, 100),
    run(3, "reference (Django/DRF)", 4500, 20, 2200),
    run(3, "product (npm run serve)", 45000, 5, 110),
  ];

  it("gives each server's median req/s and p99 over the rounds, and any failed answer", () => {
    const rows = summarise(runs, median);
    expect(rows).toEqual([
      {
        endpoint: "GET /view-loans/8",
        target: "reference (Django/DRF)",
        rounds: [1000, 800, 900],
        medianRps: 900,
        medianP99Ms: 30,
        medianCpuUsPerRequest: 2200,
        failures: 3,
      },
      {
        endpoint: "GET /view-loans/8",
        target: "product (npm run serve)",
        rounds: [8000, 10000, 9000],
        medianRps: 9000,
        medianP99Ms: 5,
        medianCpuUsPerRequest: 110,
        failures: 0,
      },
    ]);
    expect(ratios(rows)).toEqual({ "GET /view-loans/8": 10 });
  });

  it("leaves the CPU time out when a run could not read it", () => {
    const unread = [run(1, "product (npm run serve)", 40000, 4, null), ...runs.slice(1)];
    const product = summarise(unread, median).find((row) => row.target.startsWith("product"));
    expect(product?.medianCpuUsPerRequest).toBeNull();
  });

  it("says the ratio against the stand-in and against the issue's figure", () => {
    const text = markdown({
      date: "2026-12-07",
      commit: "abc1234",
      wrk: "wrk -t2 -c10 -d5s, 3 rounds",
      loadAverages: { start: [1, 1, 1], end: [2, 2, 2] },
      productProcesses: 3,
      compared: "Both answered the same.",
      rows: summarise(runs, median),
    });
    expect(text).toContain(
      "| `GET /view-loans/8` | product (npm run serve) | 9,000 | 8,000, 10,000, 9,000 | 5 ms | 110 µs | 0 |",
    );
    expect(text).toContain(
      "10× the stand-in's req/s measured in this run (9.6× the issue's 940 req/s from another day); the stand-in spends 20× the product's CPU time on a request.",
    );
  });
});
