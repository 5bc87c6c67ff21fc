import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../app-env";
import { loadCustomerDecisions, selectDecision, toDecisionRecord } from "../../db/decisions";
import { notFoundProblem, validationProblem } from "../../lib/problem";
import { encodeCursor } from "./cursor";
import { toDecisionResponse } from "./decision-record";
import {
  DEFAULT_PAGE_SIZE,
  type listCustomerDecisions,
  type viewDecision,
} from "./decisions.routes";

export const viewDecisionHandler: RouteHandler<typeof viewDecision, AppEnv> = async (c) => {
  const { decision_id: decisionId } = c.req.valid("param");

  const [row] = await selectDecision(c.get("db"), decisionId);
  if (!row) throw notFoundProblem(`Decision ${decisionId} does not exist.`);

  return c.json(toDecisionResponse(toDecisionRecord(row)), 200);
};

export const listCustomerDecisionsHandler: RouteHandler<
  typeof listCustomerDecisions,
  AppEnv
> = async (c) => {
  const { customer_id: customerId } = c.req.valid("param");
  const { limit = DEFAULT_PAGE_SIZE, cursor = null } = c.req.valid("query");
  // A cursor only names a position: another customer's would silently skip this one's newest
  // records and could end the history early.
  if (cursor && cursor.customerId !== customerId) {
    throw validationProblem([
      { field: "cursor", message: "is a cursor of another customer's decisions" },
    ]);
  }

  // One more than the page: whether it exists says whether there is a next page.
  const { customer, rows } = await loadCustomerDecisions(
    c.get("db"),
    customerId,
    cursor?.seq ?? null,
    limit + 1,
  );
  if (!customer) throw notFoundProblem(`Customer ${customerId} does not exist.`);

  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return c.json(
    {
      decisions: page.map((row) => toDecisionResponse(toDecisionRecord(row))),
      next_cursor: rows.length > limit && last ? encodeCursor({ customerId, seq: last.seq }) : null,
    },
    200,
  );
};
