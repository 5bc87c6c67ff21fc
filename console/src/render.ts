/** Small DOM builders: the console renders results from data, never from HTML strings. */

type Child = Node | string | number | null | undefined | false;

export function h(
  tag: string,
  attributes: Record<string, string> = {},
  ...children: Child[]
): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const rupees = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR" });

export function money(value: number): string {
  return rupees.format(value);
}

const minutes = new Intl.DateTimeFormat("en-CA", {
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZoneName: "short",
});

/**
 * An instant (the API's UTC `decided_at`) in the browser's own time zone, named: its UTC date alone
 * was the day before for an officer in India after 18:30 UTC, whose decision of 02:00 read as
 * yesterday's. 2026-12-05 02:00 GMT+5:30.
 */
export function localTime(iso: string): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return iso;
  const part = Object.fromEntries(
    minutes.formatToParts(instant).map(({ type, value }) => [type, value]),
  );
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute} ${part.timeZoneName}`;
}

/**
 * A customer's name, each part isolated (<bdi>): names keep the direction marks they were sent
 * with, and a last name ending in U+202E turned the "(#1, age 34)" beside it into "(43 ega ,1#)".
 */
export function customerName(firstName: string, lastName: string): HTMLElement {
  return h("span", {}, h("bdi", {}, firstName), " ", h("bdi", {}, lastName));
}

/** A count and its noun, for a sentence a screen reader says: "1 loan", "174 instalments". */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export function percent(value: number): string {
  return `${value.toFixed(2)} %`;
}

/** An ISO date, as the API gives start, due and as-of dates. */
const ISO_DATE = /(\d{4}-\d{2}-\d{2})/;

/**
 * A fact's text with each date in it a <time>, which console.css keeps on one line: Chromium
 * breaks a line after a date's hyphen, and a narrow column (a statement printed on A4) read
 * "2010-05-" above "20".
 */
function datesKeptWhole(value: Child): Child[] {
  if (typeof value !== "string") return [value];
  return value
    .split(ISO_DATE)
    .map((part, i) => (i % 2 === 1 ? h("time", { datetime: part }, part) : part));
}

export function facts(entries: [Child, Child][]): HTMLElement {
  const list = h("dl", { class: "facts" });
  for (const [term, value] of entries) {
    list.append(h("dt", {}, term), h("dd", {}, ...datesKeptWhole(value)));
  }
  return list;
}

/**
 * A table with its caption, in a region of its own that scrolls sideways when the table is wider
 * than the window: on a phone (360 px) a customer's loans and a statement's schedule were twice
 * as wide, and the whole page scrolled sideways with them, the form and the header included. The
 * region takes the keyboard's focus (so arrow keys scroll it) and is named by the caption.
 */
export function scrollingTable(caption: string, ...content: Child[]): HTMLElement {
  return h(
    "div",
    { class: "table-scroll", role: "region", "aria-label": caption, tabindex: "0" },
    h("table", {}, h("caption", {}, caption), ...content),
  );
}

export function show(containerId: string, ...content: Child[]): void {
  const container = document.getElementById(containerId);
  if (!container) return;
  container.replaceChildren(
    ...content
      .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : String(c))),
  );
}
