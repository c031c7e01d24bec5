/**
 * Translates a `MessageFilter` and `MessageSort` list (RFC 8621 §4.4.1, §4.4.2) into SQL over
 * `messages m`. Text conditions use the `message_text` search table keyed by blob row id (FTS5
 * trigram MATCH narrowing the rows when available and the needle has 3+ characters, then a
 * case-insensitive substring check on the text, in `message_text_store` beside the contentless
 * FTS5 table: LIKE for ASCII needles, `tern_header` otherwise); header
 * conditions call the `tern_header` SQL function over the stored header text.
 *
 * @module
 */
import { withoutNul } from "../message_index.ts";
import { type MessageCondition, type MessageFilter, type MessageSort, StoreError } from "../types.ts";
import type { SqlValue } from "./database.ts";
import { keywordSql } from "./keywords.ts";

/** A SQL fragment and its parameters. */
export interface SqlPart {
  /** SQL text with `?` placeholders. */
  sql: string;
  /** Values of the placeholders, in order. */
  params: SqlValue[];
}

/** Resolves a public mailbox id to its row id in the account (null when unknown). */
export type MailboxResolver = (id: string) => number | null;

/**
 * Whether a mailbox is small beside its account: then `inMailbox` reads its placements and sorts
 * them, instead of walking the account's messages in sort order and probing each one.
 */
export type SmallMailbox = (row: number) => boolean;

const MAX_DEPTH = 16;

/** Builds the WHERE fragment of a filter. */
export function filterSql(
  filter: MessageFilter | undefined,
  resolveMailbox: MailboxResolver,
  hasFts5: boolean,
  depth = 0,
  small: SmallMailbox = () => false,
): SqlPart {
  if (!filter) return { sql: "1", params: [] };
  if (depth > MAX_DEPTH) throw new StoreError("invalid", "Filter nested too deeply");
  if ("operator" in filter) {
    const parts = filter.conditions.map((c) => filterSql(c, resolveMailbox, hasFts5, depth + 1, small));
    const params = parts.flatMap((p) => p.params);
    switch (filter.operator) {
      case "AND":
        return { sql: parts.length ? parts.map((p) => `(${p.sql})`).join(" AND ") : "1", params };
      case "OR":
        return { sql: parts.length ? parts.map((p) => `(${p.sql})`).join(" OR ") : "0", params };
      case "NOT":
        // RFC 8621 §4.4.1 / RFC 8620 §5.5: NOT means none of the conditions match.
        return { sql: parts.length ? `NOT (${parts.map((p) => `(${p.sql})`).join(" OR ")})` : "1", params };
      default:
        throw new StoreError(
          "invalid",
          `Unknown filter operator: "${String((filter as { operator: unknown }).operator)}"`,
        );
    }
  }
  return conditionSql(filter, resolveMailbox, hasFts5, small);
}

function conditionSql(
  c: MessageCondition,
  resolveMailbox: MailboxResolver,
  hasFts5: boolean,
  small: SmallMailbox,
): SqlPart {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  const add = (sql: string, ...p: SqlValue[]) => {
    clauses.push(sql);
    params.push(...p);
  };
  if (c.inMailbox !== undefined) {
    const row = resolveMailbox(c.inMailbox);
    if (row === null) add("0");
    // A small mailbox: its placements drive the query (then a sort). Otherwise a correlated probe
    // of placements(message_id, mailbox_id): an ordered, limited scan of the account's messages
    // stops after its page instead of reading the mailbox's every placement.
    else if (small(row)) add("m.id IN (SELECT message_id FROM placements WHERE mailbox_id = ?)", row);
    else add("EXISTS (SELECT 1 FROM placements p WHERE p.message_id = m.id AND p.mailbox_id = ?)", row);
  }
  if (c.inMailboxOtherThan !== undefined) {
    const rows = c.inMailboxOtherThan.map(resolveMailbox).filter((r): r is number => r !== null);
    // RFC 8621 §4.4.1: in some mailbox not in the list (with an empty list: in any mailbox).
    add(
      rows.length
        ? `EXISTS (SELECT 1 FROM placements p WHERE p.message_id = m.id AND p.mailbox_id NOT IN (${
          rows.map(() => "?").join(",")
        }))`
        : "EXISTS (SELECT 1 FROM placements p WHERE p.message_id = m.id)",
      ...rows,
    );
  }
  if (c.before !== undefined) add("m.received_at < ?", c.before.getTime());
  if (c.after !== undefined) add("m.received_at >= ?", c.after.getTime());
  if (c.minSize !== undefined) add("m.size >= ?", c.minSize);
  if (c.maxSize !== undefined) add("m.size < ?", c.maxSize);
  if (c.hasKeyword !== undefined) {
    const k = keywordSql("m", c.hasKeyword);
    add(k.sql, ...k.params);
  }
  if (c.notKeyword !== undefined) {
    const k = keywordSql("m", c.notKeyword);
    add(`NOT (${k.sql})`, ...k.params);
  }
  if (c.allInThreadHaveKeyword !== undefined) {
    const k = keywordSql("t", c.allInThreadHaveKeyword);
    add(
      `NOT EXISTS (SELECT 1 FROM messages t WHERE t.thread_id = m.thread_id AND NOT (${k.sql}))`,
      ...k.params,
    );
  }
  if (c.someInThreadHaveKeyword !== undefined) {
    const k = keywordSql("t", c.someInThreadHaveKeyword);
    add(`EXISTS (SELECT 1 FROM messages t WHERE t.thread_id = m.thread_id AND ${k.sql})`, ...k.params);
  }
  if (c.noneInThreadHaveKeyword !== undefined) {
    const k = keywordSql("t", c.noneInThreadHaveKeyword);
    add(`NOT EXISTS (SELECT 1 FROM messages t WHERE t.thread_id = m.thread_id AND ${k.sql})`, ...k.params);
  }
  if (c.hasAttachment !== undefined) add("m.has_attachment = ?", c.hasAttachment ? 1 : 0);
  const text = (columns: string[], needle: string) => {
    const t = textSql(columns, withoutNul(needle), hasFts5);
    add(t.sql, ...t.params);
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
    add(
      "tern_header((SELECT headers FROM blobs WHERE blobs.id = m.blob_id), ?, ?)",
      name.toLowerCase(),
      value === undefined ? null : withoutNul(value),
    );
  }
  if (c.anyHeader !== undefined) {
    add(
      "tern_header((SELECT headers FROM blobs WHERE blobs.id = m.blob_id), '', ?)",
      withoutNul(c.anyHeader),
    );
  }
  return { sql: clauses.length ? clauses.join(" AND ") : "1", params };
}

function textSql(columns: string[], needle: string, hasFts5: boolean): SqlPart {
  const n = needle.trim();
  if (!n) return { sql: "1", params: [] };
  const check = substringSql(columns, n);
  const chars = [...n];
  if (hasFts5 && chars.length >= 3) {
    // FTS5 trigram index without positions (search_indexer.ts): the rows holding every trigram of
    // the needle (case-folded by the tokenizer), then the substring itself checked on their text.
    const trigrams = new Set<string>();
    for (let i = 0; i + 3 <= chars.length; i++) trigrams.add(chars.slice(i, i + 3).join(""));
    const match = [...trigrams].map((t) => `"${t.replaceAll('"', '""')}"`).join(" AND ");
    // The FTS5 table is contentless: the text is checked in message_text_store.
    return {
      sql: `m.blob_id IN (SELECT blob_id FROM message_text_store WHERE blob_id IN
              (SELECT rowid FROM message_text WHERE message_text MATCH ?) AND (${check.sql}))`,
      params: [match, ...check.params],
    };
  }
  if (hasFts5) {
    return {
      sql: `m.blob_id IN (SELECT blob_id FROM message_text_store WHERE ${check.sql})`,
      params: check.params,
    };
  }
  return { sql: `m.blob_id IN (SELECT rowid FROM message_text WHERE ${check.sql})`, params: check.params };
}

/**
 * Whether one of `columns` holds `n` as a case-insensitive substring (a condition on the search
 * text: `message_text_store`, or the plain `message_text` table without FTS5).
 */
function substringSql(columns: string[], n: string): SqlPart {
  // deno-lint-ignore no-control-regex -- non-ASCII is what is tested here
  if (/[^\x00-\x7f]/.test(n)) {
    // SQLite's LIKE folds ASCII case only: a non-ASCII needle ("É") is matched by tern_header's
    // Unicode case-insensitive substring test instead.
    return {
      sql: columns.map((col) => `tern_header(${col}, '', ?)`).join(" OR "),
      params: columns.map(() => n),
    };
  }
  const pattern = `%${n.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return {
    sql: columns.map((col) => `${col} LIKE ? ESCAPE '\\'`).join(" OR "),
    params: columns.map(() => pattern),
  };
}

/** Builds the ORDER BY list of a sort (ties broken by id in the first key's direction). */
export function sortSql(sort: MessageSort[] | undefined): SqlPart {
  const keys: string[] = [];
  const params: SqlValue[] = [];
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
        keys.push(`m.from_key ${dir}`);
        break;
      case "to":
        keys.push(`m.to_key ${dir}`);
        break;
      case "subject":
        keys.push(`m.subject_key ${dir}`);
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
        if (s.property === "hasKeyword") {
          const k = keywordSql("m", s.keyword);
          keys.push(`(${k.sql}) ${dir}`);
          params.push(...k.params);
        } else {
          const k = keywordSql("t", s.keyword);
          const sub = s.property === "allInThreadHaveKeyword"
            ? `NOT EXISTS (SELECT 1 FROM messages t WHERE t.thread_id = m.thread_id AND NOT (${k.sql}))`
            : `EXISTS (SELECT 1 FROM messages t WHERE t.thread_id = m.thread_id AND ${k.sql})`;
          keys.push(`(${sub}) ${dir}`);
          params.push(...k.params);
        }
        break;
      }
      default:
        throw new StoreError("invalid", `Unsupported sort property: "${String(s.property)}"`);
    }
  }
  const first = sort?.[0];
  keys.push(`m.id ${first && !first.isAscending ? "DESC" : "ASC"}`);
  return { sql: keys.join(", "), params };
}
