import { createRouter } from "../../http/create-router";
import { registerHandler } from "./customers.handlers";
import { register } from "./customers.routes";

export const customersRouter = createRouter().openapi(register, registerHandler);
