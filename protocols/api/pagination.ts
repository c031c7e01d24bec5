/**
 * Cursor pagination of admin-API collections: `?limit=` (1–500, default 100) and `?cursor=` (an
 * opaque value from the previous page's `nextCursor`). Pages follow a stable key order, so items
 * created or deleted between requests neither repeat nor shift the next page.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { z } from "@hono/zod-openapi";
import { ApiProblem, ProblemType } from "./problem.ts";

/** Default and largest page sizes. */
export const PAGE_DEFAULT = 100;
/** Largest page size a client may ask for. */
export const PAGE_MAX = 500;

/** Query parameters of every paginated listing. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_MAX).optional().openapi({
    param: { name: "limit", in: "query" },
    description: `Items per page (1–${PAGE_MAX}, default ${PAGE_DEFAULT}).`,
  }),
  cursor: z.string().max(512).optional().openapi({
    param: { name: "cursor", in: "query" },
    description: "The `nextCursor` of the previous page.",
  }),
});

/** A page schema around an item schema. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().openapi({
      description: "Pass as `cursor` for the next page; null on the last.",
    }),
  }).openapi(name);
}

/** Encodes a position (the last key of a page) as an opaque cursor. */
export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key }), "utf8").toString("base64url");
}

/** Decodes a cursor; a malformed one is a 400 problem. */
export function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (v && typeof v === "object" && typeof (v as { k?: unknown }).k === "string") {
      return (v as { k: string }).k;
    }
  } catch {
    // fall through
  }
  throw new ApiProblem(400, "The cursor is not one this API returned.", {
    type: ProblemType.validation,
    errors: [{ pointer: "query.cursor", detail: "malformed cursor" }],
  });
}

/**
 * One page of `items` in ascending order of `keyOf` (compared as strings, code unit order): those
 * after the cursor, at most `limit`.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  query: { limit?: number | undefined; cursor?: string | undefined },
): { items: T[]; nextCursor: string | null } {
  const limit = query.limit ?? PAGE_DEFAULT;
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  const sorted = [...items].sort((a, b) => {
    const ka = keyOf(a), kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const rest = after === null ? sorted : sorted.filter((i) => keyOf(i) > after);
  const page = rest.slice(0, limit);
  const nextCursor = rest.length > limit ? encodeCursor(keyOf(page[page.length - 1]!)) : null;
  return { items: page, nextCursor };
}
