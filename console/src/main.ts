import { detectApiKey, setUpApiKeyPanel } from "./api-key";
import { setUpBook } from "./views/book";
import { setUpCheck } from "./views/check";
import { setUpDecisions } from "./views/decisions";
import { setUpLoan } from "./views/loan";
import { setUpLoans } from "./views/loans";
import { setUpRegister } from "./views/register";

/*
 * The loan officer's console: six views over the public API, switched by the URL hash
 * (#register, #loans, #check, #book, #loan/<id>, #decisions/<customer id>), so the back button
 * and bookmarks work.
 */

const VIEWS = ["register", "loans", "check", "book", "loan", "decisions"] as const;

function form(id: string): HTMLFormElement {
  const element = document.getElementById(id);
  if (!(element instanceof HTMLFormElement)) throw new Error(`missing form ${id}`);
  return element;
}

function currentView(): { view: string; argument: string | undefined } {
  const [name = "register", argument] = location.hash.replace(/^#/, "").split("/");
  return { view: (VIEWS as readonly string[]).includes(name) ? name : "register", argument };
}

/** Keyboard users land in the view's first field, as if they had clicked it. */
function focusView(): void {
  document.querySelector<HTMLInputElement>(`#view-${currentView().view} input`)?.focus();
}

/** A view opened by a link with its id in the hash looks it up at once. */
function submitWith(formId: string, field: string, value: string): void {
  const target = form(formId);
  const input = target.querySelector<HTMLInputElement>(`input[name=${field}]`);
  if (input) input.value = decodeURIComponent(value);
  target.requestSubmit();
}

function route(): void {
  const { view, argument } = currentView();
  for (const section of document.querySelectorAll<HTMLElement>("section[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a[href^='#']")) {
    if (link.getAttribute("href") === `#${view}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "loan" && argument) submitWith("loan-form", "loan_id", argument);
  if (view === "decisions" && argument) submitWith("decisions-form", "customer_id", argument);
  focusView();
}

setUpApiKeyPanel(focusView);
setUpRegister(form("register-form"));
setUpLoans(form("loans-form"));
setUpCheck(form("check-form"));
setUpBook(form("book-form"));
setUpLoan(form("loan-form"));
setUpDecisions(form("decisions-form"));
window.addEventListener("hashchange", route);
route();
void detectApiKey();
