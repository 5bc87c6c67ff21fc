/*
 * Deterministic, realistic rows in the shape of the lender's workbooks, for load tests. Every loan
 * belongs to an existing customer, and one loan in every `DUPLICATE_EVERY` reuses a recent Loan ID
 * for another customer, as the real file does (docs/product.md#the-lenders-data-files). Rows are generated lazily, so a million of
 * them never sit in memory at once.
 */
import { excelSerialToIsoDate, isoDateToExcelSerial, roundHalfUp } from "./cells";

/** A seeded generator of floats in [0, 1): a Weyl sequence passed through a 32-bit mixer. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
    mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
    mixed ^= mixed >>> 16;
    return (mixed >>> 0) / 2 ** 32;
  };
}

const FIRST_NAMES = [
  "Aarav",
  "Aditi",
  "Akash",
  "Ananya",
  "Arjun",
  "Bhavna",
  "Chetan",
  "Deepa",
  "Divya",
  "Farhan",
  "Gaurav",
  "Isha",
  "Kabir",
  "Kavya",
  "Lakshmi",
  "Manish",
  "Meera",
  "Neha",
  "Nikhil",
  "Pooja",
  "Priya",
  "Rahul",
  "Ravi",
  "Rohan",
  "Sanjay",
  "Sara",
  "Shreya",
  "Sunil",
  "Tanvi",
  "Vikram",
  "Aaron",
  "Grace",
  "Joseph",
  "Maria",
  "Daniel",
  "Emma",
];
const LAST_NAMES = [
  "Agarwal",
  "Bansal",
  "Chatterjee",
  "Das",
  "Desai",
  "Fernandes",
  "Gupta",
  "Iyer",
  "Jain",
  "Joshi",
  "Kapoor",
  "Khan",
  "Kulkarni",
  "Menon",
  "Mehta",
  "Nair",
  "Patel",
  "Pillai",
  "Rao",
  "Reddy",
  "Saxena",
  "Shah",
  "Sharma",
  "Singh",
  "Verma",
  "Garcia",
  "Gonzalez",
  "Smith",
  "Thomas",
  "Wilson",
];

/** Customer values in the lender's column order. */
export type CustomerValues = [number, string, string, number, number, number, number];
/** Loan values in column order; the two dates are Excel serials, like the real file. */
export type LoanValues = [number, number, number, number, number, number, number, number, number];

const LAKH = 100_000;
/** Multiplying by a number coprime to the range permutes it, so every customer's phone differs. */
const PHONE_RANGE = 4_000_000_000n;
const PHONE_MULTIPLIER = 2_654_435_761n;
const FIRST_MOBILE = 6_000_000_000n;
const DUPLICATE_EVERY = 200;
const FIRST_APPROVAL = "2010-01-01";
const LAST_APPROVAL = "2025-06-30";

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function integerBetween(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function* syntheticCustomers(count: number, seed: number): Generator<CustomerValues> {
  const random = createRandom(seed);
  const phoneOffset = BigInt(Math.floor(random() * Number(PHONE_RANGE)));
  for (let id = 1; id <= count; id++) {
    const salary = integerBetween(random, 15, 300) * 1_000;
    const phone = FIRST_MOBILE + ((BigInt(id) * PHONE_MULTIPLIER + phoneOffset) % PHONE_RANGE);
    const limit = Math.round((36 * salary) / LAKH) * LAKH;
    const age = integerBetween(random, 21, 70);
    yield [
      id,
      pick(random, FIRST_NAMES),
      pick(random, LAST_NAMES),
      age,
      Number(phone),
      salary,
      limit,
    ];
  }
}

/** `iso` plus `months` calendar months, clamped to the end of the month. */
function addMonths(iso: string, months: number): string {
  const [year = 0, month = 1, day = 1] = iso.split("-").map(Number);
  const target = new Date(Date.UTC(year, month - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0));
  target.setUTCDate(Math.min(day, lastDay.getUTCDate()));
  return target.toISOString().slice(0, 10);
}

function monthlyInstallment(principal: number, annualRate: number, months: number): number {
  const rate = annualRate / 12 / 100;
  if (rate === 0) return principal / months;
  const growth = (1 + rate) ** months;
  return (principal * rate * growth) / (growth - 1);
}

function serialOf(iso: string): number {
  const serial = isoDateToExcelSerial(iso);
  if (serial === null) throw new Error(`cannot express ${iso} as an Excel serial`);
  return serial;
}

export function* syntheticLoans(
  count: number,
  customerCount: number,
  seed: number,
): Generator<LoanValues> {
  if (customerCount < 1 && count > 0) throw new Error("loans need at least one customer");
  const random = createRandom(seed ^ 0x5bd1e995);
  const firstSerial = serialOf(FIRST_APPROVAL);
  const lastSerial = serialOf(LAST_APPROVAL);
  // The last loans handed out, to pick a Loan ID to reuse from: a window, not the whole file.
  const recent: { loanId: number; customerId: number }[] = [];
  let nextLoanId = 1;
  for (let index = 1; index <= count; index++) {
    let customerId = integerBetween(random, 1, customerCount);
    let loanId: number;
    const reuse = index % DUPLICATE_EVERY === 0 && customerCount > 1 && recent.length > 0;
    const source = reuse ? recent[Math.floor(random() * recent.length)] : undefined;
    if (source) {
      loanId = source.loanId;
      if (customerId === source.customerId) customerId = (customerId % customerCount) + 1;
    } else {
      loanId = nextLoanId++;
      recent.push({ loanId, customerId });
      if (recent.length > DUPLICATE_EVERY / 2) recent.shift();
    }
    const amount = integerBetween(random, 5, 200) * 10_000;
    const tenure = integerBetween(random, 3, 180);
    const rate = roundHalfUp(8 + random() * 10, 2);
    const startSerial = integerBetween(random, firstSerial, lastSerial);
    const endSerial = serialOf(
      addMonths(excelSerialToIsoDate(startSerial) ?? FIRST_APPROVAL, tenure),
    );
    const monthsElapsed = Math.floor((lastSerial - startSerial) / 30.44);
    const paidOnTime = Math.floor(Math.min(tenure, monthsElapsed) * (0.7 + random() * 0.3));
    const payment = Math.round(monthlyInstallment(amount, rate, tenure));
    yield [customerId, loanId, amount, tenure, rate, payment, paidOnTime, startSerial, endSerial];
  }
}
