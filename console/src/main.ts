import { rememberApiKey } from "./api";
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

function route(): void {
  const [name = "register", argument] = location.hash.replace(/^#/, "").split("/");
  const view = (VIEWS as readonly string[]).includes(name) ? name : "register";
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
  document.querySelector<HTMLInputElement>(`#view-${view} input`)?.focus();
}

async function detectApiKey(): Promise<void> {
  // An API that requires keys answers 401 to an unauthenticated read; ask for the key then.
  const probe = await fetch("/view-loans/1", { headers: { Accept: "application/json" } });
  const panel = document.getElementById("api-key-panel");
  if (probe.status === 401 && panel && !sessionStorage.getItem("credit-console-api-key"))
    panel.hidden = false;
}

form("api-key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("api-key") as HTMLInputElement;
  if (!input.value.trim()) return;
  rememberApiKey(input.value.trim());
  const panel = document.getElementById("api-key-panel");
  if (panel) panel.hidden = true;
});

setUpRegister(form("register-form"));
setUpLoans(form("loans-form"));
setUpCheck(form("check-form"));
setUpBook(form("book-form"));
setUpLoan(form("loan-form"));
window.addEventListener("hashchange", route);
route();
void detectApiKey();
