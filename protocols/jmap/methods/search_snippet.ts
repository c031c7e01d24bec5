/**
 * SearchSnippet/get (RFC 8621 §5): subject and a preview with the search terms marked.
 *
 * @module
 */
import { extractText } from "../../../core/mime/summary.ts";
import { MethodError } from "../errors.ts";
import { type MethodHandler, optObject, optStringArray, resolveCreationId } from "../method_context.ts";
import { toMessageFilter } from "./email_read.ts";
import { accountAccess, visibleMessage } from "../mailbox_sharing.ts";

const PREVIEW_CHARS = 255;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** Search terms of a filter: words of text, subject and body conditions (NOT branches skipped). */
export function filterTerms(f: Record<string, unknown>, into: { subject: string[]; body: string[] }): void {
  if ("operator" in f) {
    if (f.operator === "NOT") return;
    for (const c of (f.conditions as Record<string, unknown>[]) ?? []) filterTerms(c, into);
    return;
  }
  const words = (v: unknown) => typeof v === "string" ? v.split(/\s+/).filter((w) => w.length > 0) : [];
  into.subject.push(...words(f.text), ...words(f.subject));
  into.body.push(...words(f.text), ...words(f.body));
}

/** Marks every case-insensitive occurrence of the terms with `<mark>` (HTML-escaped text). */
export function highlight(text: string, terms: string[]): string | null {
  if (terms.length === 0) return null;
  const re = new RegExp(terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "giu");
  let out = "";
  let last = 0;
  let found = false;
  for (const m of text.matchAll(re)) {
    found = true;
    out += escapeHtml(text.slice(last, m.index)) + "<mark>" + escapeHtml(m[0]) + "</mark>";
    last = m.index! + m[0].length;
  }
  return found ? out + escapeHtml(text.slice(last)) : null;
}

/** SearchSnippet/get (RFC 8621 §5.1). */
export const searchSnippetGet: MethodHandler = async (args, ctx) => {
  // RFC 9670: on a shared account only Emails the user may read have snippets.
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const filter = optObject(args, "filter");
  if (filter) toMessageFilter(filter); // validates (unsupportedFilter, invalidArguments)
  const emailIds = (optStringArray(args, "emailIds") ?? []).map((id) => resolveCreationId(id, ctx) ?? id);
  if (emailIds.length > ctx.services.limits.maxObjectsInGet) throw new MethodError("requestTooLarge");
  const terms = { subject: [] as string[], body: [] as string[] };
  if (filter) filterTerms(filter, terms);
  const store = ctx.services.server.store;
  const messages = new Map((await store.getMessages(accountId, emailIds)).map((m) => [m.id, m]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of emailIds) {
    const m = visibleMessage(access, messages.get(id));
    if (!m) {
      notFound.push(id);
      continue;
    }
    const subject = highlight(m.summary.subject, terms.subject);
    let preview: string | null = null;
    if (terms.body.length) {
      const raw = await store.readMessage(accountId, id);
      const text = raw ? extractText(raw).replace(/\s+/g, " ") : "";
      const lower = text.toLowerCase();
      const hit = terms.body.map((t) =>
        lower.indexOf(t.toLowerCase())
      ).filter((i) => i >= 0).sort((a, b) => a - b)[0];
      if (hit !== undefined) {
        const start = Math.max(0, hit - 40);
        preview = highlight(text.slice(start, start + PREVIEW_CHARS), terms.body);
      }
    }
    list.push({ emailId: id, subject, preview });
  }
  return { accountId, list, notFound: notFound.length ? notFound : null };
};
