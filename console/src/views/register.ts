import { api } from "../api";
import { onSubmit } from "../forms";
import { facts, h, money, show } from "../render";
import type { Customer } from "../types";

export function setUpRegister(form: HTMLFormElement): void {
  onSubmit(form, async (values) => {
    const { body } = await api<Customer>("POST", "/register", values);
    show(
      "register-result",
      h("p", { class: "verdict approved" }, `Registered customer ${body.customer_id}`),
      facts([
        ["Name", body.name],
        ["Age", body.age],
        ["Phone", body.phone_number],
        ["Monthly income", money(body.monthly_income)],
        ["Approved limit", money(body.approved_limit)],
      ]),
    );
  });
}
