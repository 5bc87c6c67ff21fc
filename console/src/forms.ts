import { ApiError, type FieldError, NoApiAnswer, NotSent } from "./api";
import { busyIndicator, statusAfter } from "./busy";
import { focusField } from "./focus-field";
import { show } from "./render";

/*
 * Form plumbing shared by every view: read values (numbers where the input says so), show the
 * API's field errors next to their inputs, and keep one request in flight per form.
 */

/*
 * A number as the console writes amounts: an optional ₹, then digits grouped the Indian way
 * (2,02,042.17), in thousands (202,042.17) or not at all (₹202042.17). Copied from the payoff into
 * Amount, it was refused as "must be a number". A comma anywhere else (1,5) is left to the API to
 * refuse.
 */
const GROUPED = /^(?:₹\s*)?(?:\d+|\d{1,2}(?:,\d{2})*,\d{3}|\d{1,3}(?:,\d{3})*)(?:\.\d*)?$/;

/*
 * A number as an officer writes one: digits with a decimal point, maybe a sign. Number() also
 * reads 0x10, 0b11, 0o7 and 1e5, and the console sent them as 16, 3, 7 and 100000: 0x10 typed
 * into Loan amount booked a loan of ₹16. Anything else is sent as typed, for the API to refuse.
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** A form's values by field name, as sent. */
type Values = Record<string, string | number>;

function formValues(form: HTMLFormElement): Values {
  const values: Values = {};
  for (const input of form.querySelectorAll<HTMLInputElement>("input[name]")) {
    const raw = input.value.trim();
    const digits = GROUPED.test(raw) ? raw.replace(/[₹,\s]/g, "") : raw;
    // Send what was typed: a number when it reads as one, else the text, so the API names the field.
    values[input.name] =
      input.dataset.type === "number" && DECIMAL.test(digits) ? Number(digits) : raw;
  }
  return values;
}

/*
 * Before a request: no field is marked invalid, and the form's alert is emptied so that the same
 * failure is said again. A field's message keeps its place until the answer (console.css hides it
 * while the form is busy): emptied at the press, a message on two lines went and the button moved
 * up under the pointer that had just pressed it.
 */
function clearErrors(form: HTMLFormElement): void {
  for (const input of form.querySelectorAll<HTMLInputElement>("input[name]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  for (const message of form.querySelectorAll(".form-error")) message.textContent = "";
}

/** After the answer: the field messages it did not set again are emptied. */
function clearOldMessages(form: HTMLFormElement): void {
  for (const input of form.querySelectorAll<HTMLInputElement>("input[name]:not([aria-invalid])")) {
    const message = document.getElementById(`${input.id}-error`);
    if (message) message.textContent = "";
  }
}

/** An error in one sentence, for a place with no fields: the API's detail, or why the request failed. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.detail || error.title;
  if (error instanceof NoApiAnswer) return `The request failed: ${error.message}`;
  if (error instanceof NotSent) return error.message;
  // A script error showing an answer: JSON of a shape this console does not know, such as an API
  // deployed since the page was loaded. Its message ("Cannot read properties…") is for developers;
  // the officer is told to look before resending, as a reload starts a new Idempotency-Key.
  console.error(error);
  return "The API answered in a form this console does not know (it may have been updated since this page was loaded). Reload the page, and look at the customer's loans before booking or paying again.";
}

/**
 * Shows an error: per field next to its input, the rest in the form's alert region. Returns what
 * the form's status must say (focusField), if anything.
 */
function showError(form: HTMLFormElement, error: unknown): string | undefined {
  const formError = form.querySelector<HTMLElement>(".form-error");
  if (!(error instanceof ApiError)) {
    if (formError) formError.textContent = errorText(error);
    return undefined;
  }
  const unplaced: FieldError[] = [];
  let first: { input: HTMLInputElement; text: string } | null = null;
  for (const fieldError of error.errors) {
    const input = form.querySelector<HTMLInputElement>(
      `input[name="${CSS.escape(fieldError.field)}"]`,
    );
    const message = input ? document.getElementById(`${input.id}-error`) : null;
    if (!input || !message) {
      unplaced.push(fieldError);
      continue;
    }
    const text = `${labelOf(input)} ${fieldError.message}`;
    markInvalid(input, message, text);
    first ??= { input, text };
  }
  if (formError) formError.textContent = unplacedText(error, unplaced);
  return first ? focusField(first.input, first.text) : undefined;
}

/*
 * What the fields do not say, for the form's alert: the API's detail, a sentence. A field the form
 * has no input for (the payment form's path ids) was listed by its API name, and the officer read
 * "customer_id has no loan 4160; loan_id is not a loan of customer 7" after the detail.
 */
function unplacedText(error: ApiError, unplaced: FieldError[]): string {
  if (error.errors.length > 0 && unplaced.length === 0) return "";
  if (error.detail) return error.detail;
  // Not the API's problem (it always has a detail): its fields are all there is to say.
  return [error.title, unplaced.map((e) => `${e.field} ${e.message}`).join("; ")]
    .filter(Boolean)
    .join(" ");
}

/** Puts values into the form's fields by name, as if typed (no input event: the request is the same). */
export function fillForm(form: HTMLFormElement, values: Record<string, string | number>): void {
  for (const [name, value] of Object.entries(values)) {
    const input = form.querySelector<HTMLInputElement>(`input[name="${CSS.escape(name)}"]`);
    if (input) input.value = String(value);
  }
}

/**
 * Shows a message of the view's own wording under a field, marked and focused as showError does;
 * returns what the form's status must say, as a handler's answer does.
 */
export function showFieldError(
  form: HTMLFormElement,
  field: string,
  text: string,
): string | undefined {
  const input = form.querySelector<HTMLInputElement>(`input[name="${CSS.escape(field)}"]`);
  const message = input ? document.getElementById(`${input.id}-error`) : null;
  if (!input || !message) return undefined;
  markInvalid(input, message, text);
  return focusField(input, text);
}

function markInvalid(input: HTMLInputElement, message: HTMLElement, text: string): void {
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", message.id);
  message.textContent = text;
}

function labelOf(input: HTMLInputElement): string {
  return (
    document.querySelector(`label[for="${input.id}"]`)?.textContent?.replace(/\s*\(.*\)$/, "") ??
    input.name
  );
}

/*
 * Forms asked to submit while a submission was in flight. The address changing to another loan
 * while the first is still loading must show the second: dropped, the view showed the first.
 */
const resubmit = new WeakSet<HTMLFormElement>();

/*
 * Forms whose next submission is a read the officer did not ask for: the loan read again after a
 * payment, whose receipt is what is said. Said too, the loan and the receipt were read at once.
 */
const quietly = new WeakSet<HTMLFormElement>();

/**
 * Submits a form now, or once the submission in flight ends, with the form's values then.
 * `quiet`: that submission says nothing in the form's status (its errors are still alerts).
 */
export function submitLatest(form: HTMLFormElement, { quiet = false } = {}): void {
  if (quiet) quietly.add(form);
  else quietly.delete(form);
  if (form.querySelector("button")?.disabled) resubmit.add(form);
  else form.requestSubmit();
}

/**
 * Enter pressed in a field while the form's request is in flight submits it once that ends, with
 * the values then: the browser drops a form's implicit submission while its button is disabled,
 * so the officer's newer request was lost.
 */
function queueEnterWhileBusy(form: HTMLFormElement): void {
  form.addEventListener("keydown", (event) => {
    const busy = form.querySelector("button")?.disabled;
    if (event.key !== "Enter" || !busy || !(event.target instanceof HTMLInputElement)) return;
    event.preventDefault();
    submitLatest(form);
  });
}

/** A newer submission is queued behind the one in flight, whose answer it replaces. */
function superseded(form: HTMLFormElement): boolean {
  return resubmit.has(form);
}

/**
 * Wires a form: one submission at a time, shown as busy, errors cleared before and shown after.
 * The handler returns its answer in a sentence, which the form's status says once.
 */
export function onSubmit(
  form: HTMLFormElement,
  handler: (values: Values) => Promise<string | undefined>,
): void {
  const button = form.querySelector("button");
  const busy = busyIndicator(form, button, statusAfter(form));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button?.disabled) return;
    const quiet = quietly.delete(form);
    clearErrors(form);
    busy.start(quiet);
    let announcement: string | undefined;
    try {
      announcement = await handler(formValues(form));
    } catch (error) {
      // A failure a newer request replaces is not shown either: that request clears it at once.
      if (!superseded(form)) {
        // The answer shown (data-result) was to another request: left under the error, a previous
        // customer's "Eligible" read as the answer about the customer the request failed for.
        if (form.dataset.result) show(form.dataset.result);
        announcement = showError(form, error);
      }
    } finally {
      clearOldMessages(form);
      // An answer superseded while it was drawn (the loan's payment panel loading) is not said.
      busy.end(quiet || superseded(form) ? undefined : announcement);
      if (resubmit.delete(form)) form.requestSubmit();
    }
  });
}

/** A form that only reads: what it asks the API, how it draws the answer, what a failure draws. */
export interface Lookup<Answer> {
  ask(values: Values): Promise<Answer>;
  /**
   * Draws the answer and returns it in a sentence, for the form's status. `stillCurrent()` turns
   * false once a newer request supersedes the answer: a draw that awaits more reading (the loan's
   * payment panel) draws nothing after that.
   */
  draw(answer: Answer, values: Values, stillCurrent: () => boolean): string | Promise<string>;
  /** Draws what a failure leaves of the answer shown, beyond onSubmit's own (data-result emptied). */
  failed?(values: Values): void;
}

/**
 * Wires a lookup (or the check): it records nothing, so an Enter pressed while one loads asks for
 * the newest, and an answer that newer request supersedes is neither drawn nor said. Drawn, the
 * first customer's loans showed for a moment under the customer typed after them.
 */
export function onLookup<Answer>(form: HTMLFormElement, lookup: Lookup<Answer>): void {
  queueEnterWhileBusy(form);
  const stillCurrent = () => !superseded(form);
  onSubmit(form, async (values) => {
    try {
      const answer = await lookup.ask(values);
      return stillCurrent() ? await lookup.draw(answer, values, stillCurrent) : undefined;
    } catch (error) {
      if (stillCurrent()) lookup.failed?.(values);
      throw error;
    }
  });
}
