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
 * (#register, #loans, #check, #book, #loan/<id>, #decisions/<customer id>,
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
  const [first, second] = args;
  for (const section of document.querySelectorAll<HTMLElement>("section[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a[href^='#']")) {
    if (link.getAttribute("href") === `#${view}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "loan" && first) submitWith("loan-form", { loan_id: first });
  if (view === "decisions" && first) submitWith("decisions-form", { customer_id: first });
  if (view === "statement" && first && second) {
    submitWith("statement-form", { customer_id: first, loan_id: second });
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
// After a payment or a refusal the loan is read again, so its instalment and repayments left are current.
setUpLoan(
  loanForm,
  setUpPayment(form("payment-form"), () => submitLatest(loanForm)),
);
setUpDecisions(form("decisions-form"));
setUpStatement(form("statement-form"));
// The skip link moves the focus only: followed, its #main would replace the hash that names the
// view, and the router would switch to the default view (register) under the officer.
document.querySelector("a.skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main")?.focus();
});
window.addEventListener("hashchange", route);
route();
void detectApiKey();
