/**
 * Entity tags of admin-API resources (RFC 9110 §8.8.3) and the `If-Match` precondition on updates
 * (RFC 9110 §13.1.1): an update whose `If-Match` names no current tag fails with 412 and changes
 * nothing. The tag is a strong validator: a hash of the resource's JSON representation.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { ApiProblem, ProblemType } from "./problem.ts";

/** The strong entity tag of a representation. */
export function etagOf(representation: unknown): string {
  const digest = createHash("sha256").update(JSON.stringify(representation)).digest("base64url");
  return `"${digest.slice(0, 32)}"`;
}

/**
 * RFC 9110 §13.1.1: when `If-Match` is present, it must be `*` or list the current tag (strong
 * comparison; weak tags never match). Absent: the update goes ahead.
 */
export function checkIfMatch(header: string | undefined | null, current: string): void {
  if (header === undefined || header === null) return;
  const value = header.trim();
  if (value === "*") return;
  const tags = value.split(",").map((t) => t.trim()).filter((t) => t !== "");
  if (tags.some((t) => !t.startsWith("W/") && t === current)) return;
  throw new ApiProblem(
    412,
    "The resource has changed since it was read (If-Match does not match its ETag).",
    {
      type: ProblemType.preconditionFailed,
    },
  );
}
