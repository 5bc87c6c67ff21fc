const ONE_LAKH_PAISE = 100_000 * 100;

/** A new customer's limit: 36 × monthly income, rounded half-up to the nearest lakh. */
export function approvedLimitPaise(monthlySalaryPaise: number): number {
  const raw = 36 * monthlySalaryPaise;
  return Math.floor((raw + ONE_LAKH_PAISE / 2) / ONE_LAKH_PAISE) * ONE_LAKH_PAISE;
}
