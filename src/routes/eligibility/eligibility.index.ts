import { createRouter } from "../../http/create-router";
import { checkEligibilityHandler } from "./eligibility.handlers";
import { checkEligibility } from "./eligibility.routes";

export const eligibilityRouter = createRouter().openapi(checkEligibility, checkEligibilityHandler);
