/**
 * Schemas shared by the admin API's routes (OpenAPI components) and the helpers that document
 * responses: `problems(400, 404)` adds problem-details responses for those statuses, `json(schema)`
 * a JSON body.
 *
 * @module
 */
import { z } from "@hono/zod-openapi";
import { STATUS_TITLE } from "./problem.ts";

/** RFC 9457 problem details. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  requestId: z.string().optional(),
}).openapi("Problem");

/** A JSON content map for a schema. */
export function json<T extends z.ZodType>(schema: T) {
  return { "application/json": { schema } };
}

/** A JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: json(schema), required: true };
}

/** Problem-details responses for the given statuses. */
export function problems(...statuses: number[]) {
  const out: Record<
    number,
    { description: string; content: { "application/problem+json": { schema: typeof Problem } } }
  > = {};
  for (const s of statuses) {
    out[s] = {
      description: STATUS_TITLE[s] ?? "Error",
      content: { "application/problem+json": { schema: Problem } },
    };
  }
  return out;
}

/** The ETag response header (updates take it back in `If-Match`). */
export const ETagHeader = {
  ETag: { schema: { type: "string" as const }, description: "Entity tag; send it in If-Match to update." },
};

/** The optional `If-Match` request header of updates. */
export const IfMatchHeader = z.object({
  "if-match": z.string().optional().openapi({
    param: { name: "if-match", in: "header" },
    description: "Update only if the resource's ETag still matches (RFC 9110 §13.1.1).",
  }),
});

/** The bearer security requirement. */
export const BEARER = [{ bearer: [] }];
/** Public: no credentials. */
export const PUBLIC: { [k: string]: string[] }[] = [];
