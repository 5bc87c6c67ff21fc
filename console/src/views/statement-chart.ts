import { money } from "../render";
import type { Statement } from "../types";

/*
 * The statement's chart, drawn as inline SVG from the schedule: the outstanding balance over the
 * periods (solid where paid, dashed where projected) above principal and interest per period as
 * stacked bars. Colours come from console.css classes: the page's Content-Security-Policy
 * (default-src 'self') forbids inline style attributes.
 */

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const LEFT = 96;
const RIGHT = 12;
const BALANCE_TOP = 28;
const BALANCE_BOTTOM = 150;
const BARS_TOP = 196;
const BARS_BOTTOM = 300;
const HEIGHT = 336;

type Row = Statement["schedule"][number];

function svg(
  tag: string,
  attributes: Record<string, string | number>,
  ...children: (Node | string)[]
) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function label(x: number, y: number, text: string, anchor = "end"): SVGElement {
  return svg("text", { x, y, "text-anchor": anchor }, text);
}

const round = (value: number) => Math.round(value * 10) / 10;

export function statementChart(statement: Statement): SVGElement {
  const rows = statement.schedule;
  const periods = Math.max(rows.length, 1);
  const band = (WIDTH - LEFT - RIGHT) / periods;
  const xAt = (period: number) => round(LEFT + period * band);
  const balanceY = (balance: number) =>
    round(BALANCE_BOTTOM - (balance / statement.principal) * (BALANCE_BOTTOM - BALANCE_TOP));
  const tallest = Math.max(1, ...rows.map((row) => row.principal + row.interest));
  const barHeight = (amount: number) => round((amount / tallest) * (BARS_BOTTOM - BARS_TOP));

  const title = `Loan ${statement.loan_id}: outstanding balance, principal and interest per period`;
  const chart = svg(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: "img",
      "aria-label": title,
    },
    svg("title", {}, title),
    svg("desc", {}, describe(statement)),
    label(LEFT, 16, "Outstanding balance", "start"),
    label(LEFT - 6, BALANCE_TOP + 4, money(statement.principal)),
    label(LEFT - 6, BALANCE_BOTTOM + 4, money(0)),
    svg("line", {
      class: "axis",
      x1: LEFT,
      y1: BALANCE_BOTTOM,
      x2: WIDTH - RIGHT,
      y2: BALANCE_BOTTOM,
    }),
    label(LEFT, BARS_TOP - 12, "Principal and interest per period", "start"),
    label(LEFT - 6, BARS_TOP + 4, money(tallest)),
    label(LEFT - 6, BARS_BOTTOM + 4, money(0)),
    svg("line", { class: "axis", x1: LEFT, y1: BARS_BOTTOM, x2: WIDTH - RIGHT, y2: BARS_BOTTOM }),
    label(xAt(0.5), BARS_BOTTOM + 18, "1", "middle"),
    label(xAt(periods - 0.5), BARS_BOTTOM + 18, String(periods), "middle"),
    label((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 4, "Period", "middle"),
  );

  // The balance starts at the loan amount (period 0) and ends each period at its balance after.
  const points = [
    { x: xAt(0), y: balanceY(statement.principal), paid: true },
    ...rows.map((row) => ({
      x: xAt(row.period),
      y: balanceY(row.balance_after),
      paid: row.status === "paid",
    })),
  ];
  const lastPaid = points.findLastIndex((point) => point.paid);
  const path = (from: number, to: number) =>
    points
      .slice(from, to + 1)
      .map((point) => `${point.x},${point.y}`)
      .join(" ");
  if (lastPaid > 0)
    chart.append(svg("polyline", { class: "balance paid", points: path(0, lastPaid) }));
  if (lastPaid < points.length - 1) {
    chart.append(
      svg("polyline", { class: "balance projected", points: path(lastPaid, points.length - 1) }),
    );
  }

  for (const row of rows) chart.append(bar(row, xAt(row.period - 1), band, barHeight));
  return chart;
}

function bar(row: Row, x: number, band: number, barHeight: (amount: number) => number): SVGElement {
  const gap = Math.min(2, band * 0.15);
  const width = round(Math.max(band - 2 * gap, 0.5));
  const principal = barHeight(row.principal);
  const interest = barHeight(row.interest);
  const state = row.status === "paid" ? "paid" : "projected";
  return svg(
    "g",
    { class: `period ${state}`, "data-period": row.period },
    svg(
      "title",
      {},
      `Period ${row.period} (${row.status}): principal ${money(row.principal)}, interest ${money(row.interest)}`,
    ),
    svg("rect", {
      class: "principal",
      x: round(x + gap),
      y: round(BARS_BOTTOM - principal),
      width,
      height: principal,
    }),
    svg("rect", {
      class: "interest",
      x: round(x + gap),
      y: round(BARS_BOTTOM - principal - interest),
      width,
      height: interest,
    }),
  );
}

/** The chart in words, for screen readers and anyone who cannot see it. */
function describe(statement: Statement): string {
  const rows = statement.schedule;
  const paid = rows.filter((row) => row.status === "paid").length;
  // Summed in paise: adding rupee fractions as floats would drift.
  const interest = rows.reduce((sum, row) => sum + Math.round(row.interest * 100), 0) / 100;
  return (
    `The balance falls from ${money(statement.principal)} to ${money(rows.at(-1)?.balance_after ?? 0)} ` +
    `over ${rows.length} periods, ${paid} of them paid; ` +
    `interest over the schedule comes to ${money(interest)}; ` +
    `outstanding now ${money(statement.outstanding_principal)}.`
  );
}
