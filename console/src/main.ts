import { detectApiKey, setUpApiKeyPanel } from "./api-key";
import { fillForm, submitLatest } from "./forms";
import { setUpBook } from "./views/book";
import { setUpCheck } from "./views/check";
import { setUpDecisions } from "./views/decisions";
import { setUpLoan } from "./views/loan";
import { setUpLoans } from "./views/loans";
import { setUpPayment } from "./views/payment";
import { setUpRegister } from "./views/register";
import { setUpStatement } from "./views/statement";

/*
 * The loan officer's console: seven views over the public API, switched by the URL hash
 * (#register, #loans/<customer id>, #check, #book, #loan/<id>, #decisions/<customer id>,
 * #statement/<customer id>/<loan id>), so the back button and bookmarks work.
 */

const VIEWS = ["register", "loans", "check", "book", "loan", "decisions", "statement"] as const;

function form(id: string): HTMLFormElement {
  const element = document.getElementById(id);
  if (!(element instanceof HTMLFormElement)) throw new Error(`missing form ${id}`);
  return element;
}

function currentView(): { view: string; args: string[] } {
  const [name = "register", ...args] = location.hash.replace(/^#/, "").split("/");
  return { view: (VIEWS as readonly string[]).includes(name) ? name : "register", args };
}

/** Keyboard users land in the view's first field, as if they had clicked it. */
function focusView(): void {
  document.querySelector<HTMLInputElement>(`#view-${currentView().view} input`)?.focus();
}

/** A `%` typed into the address that is no escape stays as typed: the API then says what is wrong. */
function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The views whose address names what they show (#loan/10026), with the form fields it fills. */
const ADDRESSED: Record<string, { form: string; fields: string[] }> = {
  loans: { form: "loans-form", fields: ["customer_id"] },
  loan: { form: "loan-form", fields: ["loan_id"] },
  decisions: { form: "decisions-form", fields: ["customer_id"] },
  statement: { form: "statement-form", fields: ["customer_id", "loan_id"] },
};

/*
 * A lookup typed into the form becomes the view's address, a new history entry. It used to leave
 * the address naming the loan opened before: reloaded, or Back from the typed loan's statement,
 * the view showed that other loan, and a customer's loans were gone after a reload.
 */
function addressLookups(): void {
  for (const [view, { form: formId, fields }] of Object.entries(ADDRESSED)) {
    const target = form(formId);
    target.addEventListener("submit", () => {
      // A loan read again after a payment answered once the officer had opened its statement.
      if (currentView().view !== view) return;
      const values = fields.map((field) => formValue(target, field).trim());
      if (values.some((value) => value === "")) return;
      const address = `#${[view, ...values.map(encodeURIComponent)].join("/")}`;
      if (decoded(address) !== decoded(location.hash)) history.pushState(null, "", address);
    });
  }
}

function formValue(target: HTMLFormElement, field: string): string {
  const input = target.elements.namedItem(field);
  return input instanceof HTMLInputElement ? input.value : "";
}

/** A view opened by a link with its ids in the hash looks them up at once. */
function submitWith(formId: string, fields: Record<string, string>): void {
  const target = form(formId);
  fillForm(
    target,
    Object.fromEntries(Object.entries(fields).map(([field, value]) => [field, decoded(value)])),
  );
  submitLatest(target);
}

function route(): void {
  const { view, args } = currentView();
  for (const section of document.querySelectorAll<HTMLElement>("section[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a[href^='#']")) {
    if (link.getAttribute("href") === `#${view}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const addressed = ADDRESSED[view];
  if (addressed?.fields.every((_, i) => args[i])) {
    submitWith(
      addressed.form,
      Object.fromEntries(addressed.fields.map((field, i) => [field, args[i] ?? ""])),
    );
  }
  focusView();
}

// A bookmarked #loan/<id> opened in a new tab was refused (401) before the key was asked for:
// once it is entered, the view's lookup runs again, rather than leave the 401 under its form.
setUpApiKeyPanel(route);
setUpRegister(form("register-form"));
setUpLoans(form("loans-form"));
setUpCheck(form("check-form"));
setUpBook(form("book-form"));
const loanForm = form("loan-form");
// After a payment or a refusal the loan is read again, so its instalment and repayments left are
// current; quietly, as the receipt (or the refusal) is what the officer hears.
setUpLoan(
  loanForm,
  setUpPayment(form("payment-form"), () => submitLatest(loanForm, { quiet: true })),
);
setUpDecisions(form("decisions-form"));
setUpStatement(form("statement-form"));
// The skip link moves the focus only: followed, its #main would replace the hash that names the
// view, and the router would switch to the default view (register) under the officer.
document.querySelector("a.skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main")?.focus();
});
addressLookups();
window.addEventListener("hashchange", route);
route();
void detectApiKey();
