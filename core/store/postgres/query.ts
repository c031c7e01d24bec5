/**
 * Translates a `MessageFilter` and `MessageSort` list (RFC 8621 §4.4.1, §4.4.2) into PostgreSQL
 * over `messages m`, with `$n` placeholders. Text conditions are case-insensitive substring tests
 * (`position()`) on the `message_text` row of the message's blob, whose columns the application
 * stored lowercased; the needle is lowercased the same way, so the result does not depend on the
 * database's collation. Header conditions test the unfolded header lines, as written and with
 * RFC 2047 words decoded (RFC 9051 §6.4.4). Sort keys compare with `COLLATE "C"` (code points).
 *
 * @module
 */
import { withoutNul } from "../message_index.ts";
import { type MessageCondition, type MessageFilter, type MessageSort, StoreError } from "../types.ts";
import { KEYWORD_BITS, normalizeKeyword } from "../keywords.ts";

/** A parameter value. */
export type PgValue = string | number | boolean | null;

/** Accumulates parameters and hands out their placeholders. */
export class Params {
  /** The values, in placeholder order. */
  readonly values: PgValue[] = [];
  /** Adds a value and returns its placeholder. */
  add(v: PgValue): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** Resolves a public mailbox id to its row id in the account (null when unknown). */
export type MailboxResolver = (id: string) => number | null;

const MAX_DEPTH = 16;

/** A keyword test on messages alias `alias`. */
function keywordSql(alias: string, keyword: string, p: Params): string {
  const k = normalizeKeyword(keyword);
  const bit = KEYWORD_BITS[k];
  if (bit !== undefined) return `(${alias}.flags & ${bit}) <> 0`;
  return `position(${p.add(` ${k} `)} in (' ' || ${alias}.keywords || ' ')) > 0`;
}

/** Builds the WHERE fragment of a filter. */
export function filterSql(
  filter: MessageFilter | undefined,
  resolveMailbox: MailboxResolver,
  p: Params,
  depth = 0,
): string {
  if (!filter) return "true";
  if (depth > MAX_DEPTH) throw new StoreError("invalid", "Filter nested too deeply");
  if ("operator" in filter) {
    const parts = filter.conditions.map((c) => `(${filterSql(c, resolveMailbox, p, depth + 1)})`);
    switch (filter.operator) {
      case "AND":
        return parts.length ? parts.join(" AND ") : "true";
      case "OR":
        return parts.length ? parts.join(" OR ") : "false";
      case "NOT":
        // RFC 8621 §4.4.1 / RFC 8620 §5.5: NOT means none of the conditions match.
        return parts.length ? `NOT (${parts.join(" OR ")})` : "true";
      default:
        throw new StoreError(
          "invalid",
          `Unknown filter operator: "${String((filter as { operator: unknown }).operator)}"`,
        );
    }
  }
  return conditionSql(filter, resolveMailbox, p);
}

function conditionSql(c: MessageCondition, resolveMailbox: MailboxResolver, p: Params): string {
  const clauses: string[] = [];
  if (c.inMailbox !== undefined) {
    const row = resolveMailbox(c.inMailbox);
    clauses.push(
      row === null
        ? "false"
        : `EXISTS (SELECT 1 FROM placements pl WHERE pl.message_id = m.id AND pl.mailbox_id = ${p.add(row)})`,
    );
  }
  if (c.inMailboxOtherThan !== undefined) {
    const rows = c.inMailboxOtherThan.map(resolveMailbox).filter((r): r is number => r !== null);
    const list = rows.length ? rows.map((r) => p.add(r)).join(",") : "NULL";
    clauses.push(
      rows.length
        ? `EXISTS (SELECT 1 FROM placements pl WHERE pl.message_id = m.id AND pl.mailbox_id NOT IN (${list}))`
        : "EXISTS (SELECT 1 FROM placements pl WHERE pl.message_id = m.id)",
    );
  }
  if (c.before !== undefined) clauses.push(`m.received_at < ${p.add(c.before.getTime())}`);
  if (c.after !== undefined) clauses.push(`m.received_at >= ${p.add(c.after.getTime())}`);
  if (c.minSize !== undefined) clauses.push(`m.size >= ${p.add(c.minSize)}`);
  if (c.maxSize !== undefined) clauses.push(`m.size < ${p.add(c.maxSize)}`);
  if (c.hasKeyword !== undefined) clauses.push(keywordSql("m", c.hasKeyword, p));
  if (c.notKeyword !== undefined) clauses.push(`NOT (${keywordSql("m", c.notKeyword, p)})`);
  const thread = (cond: string) => `SELECT 1 FROM messages t WHERE t.thread_id = m.thread_id AND ${cond}`;
  if (c.allInThreadHaveKeyword !== undefined) {
    clauses.push(`NOT EXISTS (${thread(`NOT (${keywordSql("t", c.allInThreadHaveKeyword, p)})`)})`);
  }
  if (c.someInThreadHaveKeyword !== undefined) {
    clauses.push(`EXISTS (${thread(keywordSql("t", c.someInThreadHaveKeyword, p))})`);
  }
  if (c.noneInThreadHaveKeyword !== undefined) {
    clauses.push(`NOT EXISTS (${thread(keywordSql("t", c.noneInThreadHaveKeyword, p))})`);
  }
  if (c.hasAttachment !== undefined) clauses.push(`m.has_attachment = ${p.add(c.hasAttachment)}`);
  const text = (columns: string[], needle: string) => {
    const n = withoutNul(needle).trim().toLowerCase();
    if (!n) return;
    const ph = p.add(n);
    clauses.push(
      `EXISTS (SELECT 1 FROM message_text x WHERE x.blob_id = m.blob_id AND (${
        columns.map((col) => `position(${ph} in x.${col}) > 0`).join(" OR ")
      }))`,
    );
  };
  // RFC 8621 §4.4.1 text: From, To, Cc, Bcc, Subject and the text body parts.
  if (c.text !== undefined) text(["subject", "addr_from", "addr_to", "addr_cc", "addr_bcc", "body"], c.text);
  if (c.from !== undefined) text(["addr_from"], c.from);
  if (c.to !== undefined) text(["addr_to"], c.to);
  if (c.cc !== undefined) text(["addr_cc"], c.cc);
  if (c.bcc !== undefined) text(["addr_bcc"], c.bcc);
  if (c.subject !== undefined) text(["subject"], c.subject);
  if (c.body !== undefined) text(["body"], c.body);
  if (c.header !== undefined) {
    const [name, value] = c.header;
    if (typeof name !== "string" || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
      throw new StoreError("invalid", `Invalid header name: "${String(name)}"`);
    }
    const prefix = `${name.toLowerCase()}: `;
    const pre = p.add(prefix);
    const len = p.add(prefix.length);
    // Each header line whose name matches (lines compared in lowercase: names are stored lowercased).
    const lineTest = (col: string) =>
      `EXISTS (SELECT 1 FROM regexp_split_to_table(x.${col}, E'\\n') AS l(line)
        WHERE left(l.line, ${len}) = ${pre}${
        value === undefined
          ? ""
          : ` AND position(${p.add(withoutNul(value).toLowerCase())} in substr(l.line, ${len} + 1)) > 0`
      })`;
    clauses.push(
      `EXISTS (SELECT 1 FROM message_text x WHERE x.blob_id = m.blob_id AND (${lineTest("headers")} OR ${
        lineTest("headers_decoded")
      }))`,
    );
  }
  if (c.anyHeader !== undefined) {
    const ph = p.add(withoutNul(c.anyHeader).toLowerCase());
    clauses.push(
      `EXISTS (SELECT 1 FROM message_text x WHERE x.blob_id = m.blob_id AND
        (position(${ph} in x.headers) > 0 OR position(${ph} in x.headers_decoded) > 0))`,
    );
  }
  return clauses.length ? clauses.join(" AND ") : "true";
}

/** Builds the ORDER BY list of a sort (ties broken by id in the first key's direction). */
export function sortSql(sort: MessageSort[] | undefined, p: Params): string {
  const keys: string[] = [];
  for (const s of sort ?? []) {
    const dir = s.isAscending ? "ASC" : "DESC";
    switch (s.property) {
      case "receivedAt":
        keys.push(`m.received_at ${dir}`);
        break;
      case "size":
        keys.push(`m.size ${dir}`);
        break;
      case "from":
        keys.push(`m.from_key COLLATE "C" ${dir}`);
        break;
      case "to":
        keys.push(`m.to_key COLLATE "C" ${dir}`);
        break;
      case "subject":
        keys.push(`m.subject_key COLLATE "C" ${dir}`);
        break;
      case "sentAt":
        keys.push(`coalesce(m.sent_at, m.received_at) ${dir}`);
        break;
      case "id":
        keys.push(`m.id ${dir}`);
        break;
      case "hasKeyword":
      case "allInThreadHaveKeyword":
      case "someInThreadHaveKeyword": {
        if (!s.keyword) throw new StoreError("invalid", `Sort by ${s.property} needs a keyword`);
        if (s.property === "hasKeyword") keys.push(`(${keywordSql("m", s.keyword, p)}) ${dir}`);
        else {
          const k = keywordSql("t", s.keyword, p);
          const sub = s.property === "allInThreadHaveKeyword"
            ? `NOT EXISTS (SELECT 1 FROM messages t WHERE t.thread_id = m.thread_id AND NOT (${k}))`
            : `EXISTS (SELECT 1 FROM messages t WHERE t.thread_id = m.thread_id AND ${k})`;
          keys.push(`(${sub}) ${dir}`);
        }
        break;
      }
      default:
        throw new StoreError("invalid", `Unsupported sort property: "${String(s.property)}"`);
    }
  }
  const first = sort?.[0];
  keys.push(`m.id ${first && !first.isAscending ? "DESC" : "ASC"}`);
  return keys.join(", ");
}
