/*
 * The API key, when the deployment requires one. It lives in session storage only: it is gone
 * when the tab closes, it is never written to local storage or a cookie, and other tabs must ask
 * again. GET /api (public) says whether a key is required; a 401 from any call asks again.
 */

import { statusAfter } from "./busy";
import { focusField } from "./focus-field";

const KEY_STORAGE = "credit-console-api-key";

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`missing #${id}`);
  return found;
}

/** Shows the key panel and puts the cursor in it; `reason` says why the key is needed again. */
function askForApiKey(reason = ""): void {
  element("api-key-panel", HTMLElement).hidden = false;
  element("api-key-status", HTMLElement).textContent = reason;
  element("api-key", HTMLInputElement).focus();
}

/** A 401: the key was missing, or refused (revoked, mistyped) and is forgotten; ask for one. */
export function apiKeyRejected(sentKey: boolean): void {
  sessionStorage.removeItem(KEY_STORAGE);
  askForApiKey(
    sentKey
      ? "The API did not accept that key. Enter a valid key, then repeat the request."
      : "This API requires a key. Enter it, then repeat the request.",
  );
}

export function setUpApiKeyPanel(afterEntry: () => void): void {
  const form = element("api-key-form", HTMLFormElement);
  const input = element("api-key", HTMLInputElement);
  const error = element("api-key-error", HTMLElement);
  // Says a refusal when the field keeps the focus (Enter pressed in it), as a form's status does.
  const said = statusAfter(form);
  // The same words written again into a live status are no change, and may not be said again: it
  // is emptied at each submit and given its words on the next frame, two changes a reader hears.
  let pendingSay = 0;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cancelAnimationFrame(pendingSay);
    said.textContent = "";
    const key = input.value.trim();
    // A key is sent in a header: a space or a character outside printable ASCII (a pasted dash or
    // quote) would make every request fail before reaching the API, with no 401 to ask again.
    const problem = !key
      ? "Enter the API key."
      : /^[\x21-\x7e]+$/.test(key)
        ? null
        : "An API key has only letters, digits and punctuation, with no spaces: check what was pasted.";
    if (problem) {
      input.setAttribute("aria-invalid", "true");
      error.textContent = problem;
      const words = focusField(input, problem);
      if (words) pendingSay = requestAnimationFrame(() => (said.textContent = words));
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    // The field is emptied so the key is not left in the page for anyone passing by.
    input.value = "";
    input.removeAttribute("aria-invalid");
    error.textContent = "";
    element("api-key-panel", HTMLElement).hidden = true;
    afterEntry();
  });
}

/** Asks for a key at start-up when the API requires one and this tab has none yet. */
export async function detectApiKey(): Promise<void> {
  try {
    const response = await fetch("/api", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const index = (await response.json()) as { api_key_required?: unknown };
    if (index.api_key_required === true && !apiKey()) askForApiKey();
  } catch {
    // Unreachable API: the first request shows the error in its form.
  }
}
