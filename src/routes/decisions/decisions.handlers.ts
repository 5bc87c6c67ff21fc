import type { RouteHandler } from "@hono/zod-openapi";
import { loadCustomerDecisions, loadDecision } from "../../db/decisions";
import type { AppEnv } from "../../http/app-env";
import {
  unknownCustomerProblem,
  unknownDecisionProblem,
  validationProblem,
} from "../../lib/problem";
import { encodeCursor } from "./cursor";
import { toDecisionResponse } from "./decision-record";
import {
  DEFAULT_PAGE_SIZE,
  type listCustomerDecisions,
  type viewDecision,
} from "./decisions.routes";

export const viewDecisionHandler: RouteHandler<typeof viewDecision, AppEnv> = async (c) => {
  const { decision_id: decisionId } = c.req.valid("param");

  const record = await loadDecision(c.get("db"), decisionId);
  if (!record) throw unknownDecisionProblem(decisionId);

  return c.json(toDecisionResponse(record), 200);
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

  // The next page is read from a copy at least as recent as the one that read the previous page
  // (and as the client's x-d1-bookmark): an older replica could be missing records just below the
  // cursor, so the pages would not join up.
  const consistency = c.get("readConsistency");
  if (cursor?.bookmark) consistency.readAtLeast(cursor.bookmark);

  const { customerExists, page, more } = await loadCustomerDecisions(
    c.get("db"),
    customerId,
    cursor?.seq ?? null,
    limit,
  );
  if (!customerExists) throw unknownCustomerProblem(customerId);

  const last = page.at(-1);
  return c.json(
    {
      decisions: page.map(({ record }) => toDecisionResponse(record)),
      next_cursor:
        more && last
          ? encodeCursor({ customerId, seq: last.seq, bookmark: consistency.bookmark() })
          : null,
    },
    200,
  );
};
