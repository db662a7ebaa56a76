// Compiled by tests/test_api_schema.py with `tsc --strict` against the types that
// openapi-typescript generates from the served schema (written next to it as schema.d.ts).
// Always-sent fields are read without optional chaining: a field the schema failed to
// mark required would be `T | undefined` here and fail to compile.
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
type CaseDetail = Schemas["CaseDetail"];
type Step = Schemas["Step"];
type Decision = Schemas["Decision"];

type CaseResponse =
  paths["/api/v1/cases/{id}/"]["get"]["responses"][200]["content"]["application/json"];
type CaseList =
  paths["/api/v1/cases/"]["get"]["responses"][200]["content"]["application/json"];
type ErrorBody =
  paths["/api/v1/cases/{id}/"]["get"]["responses"][404]["content"]["application/json"];

export function stepLine(step: Step): string {
  const due: string | null = step.due_on;
  const status: Schemas["StepStatusEnum"] = step.status;
  const late: boolean = step.is_overdue;
  const daysLeft: number | null = step.days_left;
  return `${step.order}. ${step.code} ${step.name} ${status} ${due ?? "-"} ${late} ${daysLeft ?? ""}`;
}

export function decisionLine(decision: Decision): string {
  const number: number | null = decision.number;
  const symbol: string = decision.symbol;
  const state: "pending" | "signing" | "issued" = decision.document_status;
  const unit: string = decision.issuing_unit.name;
  return `${number ?? "?"}/${symbol} ${state} ${unit}`;
}

export function describeCase(body: CaseResponse): string {
  const c: CaseDetail = body;
  const status: "open" | "implementation" | "partially_decided" | "closed" = c.status;
  const form: "termination" | "dismissal" | "resignation" = c.form;
  const regime: string = c.regulation.code;
  const steps: string[] = c.steps.map(stepLine);
  const current: string = c.current_step === null ? "none" : (c.current_step.due_on ?? "no due date");
  const decision: string = c.decision === null ? "no decision" : decisionLine(c.decision);
  const actions: string[] = c.available_actions.map(
    (a) => `${a.name}(${a.fields.map((f) => `${f.name}:${f.type}${f.required ? "!" : ""}`).join(",")})`,
  );
  const events: number = c.event_count;
  return [c.reference, form, status, regime, current, decision, events, ...steps, ...actions].join(" ");
}

export function nextPage(list: CaseList): string | null {
  const first: number | undefined = list.results[0]?.id;
  return first === undefined ? list.next : list.previous;
}

export function explain(error: ErrorBody): string {
  const code: Schemas["ErrorCodeEnum"] = error.code;
  const fields: string[] = Object.keys(error.fields);
  return `${code}: ${error.detail} ${fields.join(",")}`;
}

// Each action has its own request type, discriminated by `action`.
export const vote: Schemas["ActionRequest"] = {
  action: "record_vote",
  present: 9,
  votes_for: 7,
  votes_against: 2,
};
export const reject: Schemas["ActionRequest"] = { action: "reject", reason: "Không đủ căn cứ." };
