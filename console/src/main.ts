import { detectApiKey, setUpApiKeyPanel } from "./api-key";
import { setUpBook } from "./views/book";
import { setUpCheck } from "./views/check";
import { setUpLoan } from "./views/loan";
import { setUpLoans } from "./views/loans";
import { setUpRegister } from "./views/register";

/*
 * The loan officer's console: five views over the public API, switched by the URL hash
 * (#register, #loans, #check, #book, #loan/<id>), so the back button and bookmarks work.
 */

const VIEWS = ["register", "loans", "check", "book", "loan"] as const;

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

function route(): void {
  const { view, argument } = currentView();
  for (const section of document.querySelectorAll<HTMLElement>("section[data-view]")) {
    section.hidden = section.dataset.view !== view;
  }
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a[href^='#']")) {
    if (link.getAttribute("href") === `#${view}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "loan" && argument) {
    const loanForm = form("loan-form");
    const input = loanForm.querySelector<HTMLInputElement>("input[name=loan_id]");
    if (input) input.value = argument;
    loanForm.requestSubmit();
  }
  focusView();
}

setUpApiKeyPanel(focusView);
setUpRegister(form("register-form"));
setUpLoans(form("loans-form"));
setUpCheck(form("check-form"));
setUpBook(form("book-form"));
setUpLoan(form("loan-form"));
window.addEventListener("hashchange", route);
route();
void detectApiKey();
