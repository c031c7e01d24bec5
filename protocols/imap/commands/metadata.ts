/**
 * METADATA (RFC 5464): GETMETADATA and SETMETADATA on server entries (mailbox `""`) and mailbox
 * entries, `/private` (per user) and `/shared`, persisted through `Store.metadata`. Entry names are
 * case-insensitive and kept lowercase. Values go out as literals (literal8 with NUL), as Dovecot
 * sends them.
 *
 * @module
 */
import type { ImapSession } from "../session_types.ts";
import type { ListToken, Token } from "../parser/tokens.ts";
import type { MetadataChange, MetadataEntry } from "../../../core/store/records/metadata.ts";
import { Args } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import { astr } from "../format/strings.ts";
import { requireMailbox } from "./mailbox.ts";
import { requireRights } from "../../../core/acl/access.ts";
import { AUTH, type CommandSpec } from "./types.ts";

/** Largest value accepted (RFC 5464 §4.3: larger ones get `NO [METADATA MAXSIZE n]`). */
export const MAX_VALUE_SIZE = 64 * 1024;
/** Most entries one account may hold (RFC 5464 §4.3: more get `NO [METADATA TOOMANY]`). */
export const MAX_ENTRIES = 1000;
/** Longest entry name accepted. */
export const MAX_NAME_LENGTH = 1024;

/** GETMETADATA's DEPTH (RFC 5464 §4.2.2): 0, 1 or infinity. */
export type Depth = 0 | 1 | "infinity";

/**
 * Checks and lowercases an entry name (RFC 5464 §3.2): it starts with `/private` or `/shared`,
 * has no `*`, `%`, control characters, consecutive or trailing `/`. `tree` allows the bare
 * `/private` and `/shared` (GETMETADATA of a whole tree); SETMETADATA needs a name below them.
 * Throws BAD with Dovecot's wording.
 */
export function entryName(raw: string, tree: boolean): string {
  const name = raw.toLowerCase();
  if (!/^\/(private|shared)(\/|$)/.test(name)) throw bad("Entry name must begin with /private or /shared");
  if (name.length > MAX_NAME_LENGTH) throw bad("Entry name too long");
  if (name.endsWith("/")) throw bad("Entry name can't end with '/'");
  if (name.includes("//")) throw bad("Entry name can't contain consecutive '/'");
  if (/[*%]/.test(name)) throw bad(`Entry name can't contain '${/\*/.test(name) ? "*" : "%"}'`);
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw bad("Entry name can't contain control characters");
  if (!tree && (name === "/private" || name === "/shared")) {
    throw bad("Entry name must name an entry below /private or /shared");
  }
  return name;
}

/**
 * The entries a GETMETADATA of `requested` returns (RFC 5464 §4.2): with DEPTH 0 each requested
 * entry, NIL when absent; with DEPTH 1 the entry (if present) and its children; with infinity the
 * entry and all its descendants. Each entry once, in request order then name order. Pure.
 *
 * @param stored the visible entries, sorted by name
 */
export function selectEntries(
  stored: readonly MetadataEntry[],
  requested: readonly string[],
  depth: Depth,
): { name: string; value: Uint8Array | null }[] {
  const byName = new Map(stored.map((e) => [e.name, e.value]));
  const out: { name: string; value: Uint8Array | null }[] = [];
  const seen = new Set<string>();
  const push = (name: string, value: Uint8Array | null) => {
    if (seen.has(name)) return;
    seen.add(name);
    out.push({ name, value });
  };
  for (const r of requested) {
    const own = byName.get(r);
    if (depth === 0) {
      push(r, own ?? null);
      continue;
    }
    if (own) push(r, own);
    const prefix = r + "/";
    for (const e of stored) {
      if (!e.name.startsWith(prefix)) continue;
      if (depth === 1 && e.name.indexOf("/", prefix.length) !== -1) continue;
      push(e.name, e.value);
    }
  }
  return out;
}

/** Mailbox `""` is the server (RFC 5464 §3.2.1); otherwise the mailbox, checked for `needed`. */
async function target(
  s: ImapSession,
  raw: string,
  needed: string,
): Promise<{ accountId: string; mailboxId: string; name: string; rights: string | null }> {
  if (raw === "") return { accountId: s.accountId, mailboxId: "", name: "", rights: null };
  const m = await requireMailbox(s, raw, false, needed);
  return { accountId: m.ownerId, mailboxId: m.mailbox.id, name: m.name, rights: m.rights };
}

/**
 * RFC 5464 §3.4 with RFC 4314: private entries of a mailbox need "l" (lookup), shared ones "r" to
 * read and "w" to write. NO [NOPERM] otherwise.
 */
function checkEntryRights(rights: string | null, name: string, write: boolean): void {
  if (rights === null || name.startsWith("/private")) return;
  try {
    requireRights(rights, write ? "w" : "r");
  } catch {
    throw no("Permission denied", "NOPERM");
  }
}

/** GETMETADATA's options: `(MAXSIZE n DEPTH d)` (RFC 5464 §4.2.1, §4.2.2). */
function parseOptions(list: Token[]): { maxSize: number | null; depth: Depth } {
  let maxSize: number | null = null;
  let depth: Depth = 0;
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    const v = list[i + 1];
    if (t.type !== "atom" || v?.type !== "atom") throw bad("Invalid GETMETADATA option");
    const opt = t.value.toUpperCase();
    if (opt === "MAXSIZE") {
      if (!/^\d{1,10}$/.test(v.value) || Number(v.value) > 4294967295) throw bad("Invalid MAXSIZE");
      maxSize = Number(v.value);
    } else if (opt === "DEPTH") {
      const d = v.value.toLowerCase();
      if (d !== "0" && d !== "1" && d !== "infinity") throw bad("Invalid DEPTH");
      depth = d === "infinity" ? "infinity" : d === "1" ? 1 : 0;
    } else {
      throw bad(`Unknown GETMETADATA option ${t.value}`);
    }
    i++;
  }
  return { maxSize, depth };
}

/** True when the token list looks like GETMETADATA options (first item MAXSIZE or DEPTH). */
function isOptions(t: Token | undefined): t is ListToken {
  if (t?.type !== "list") return false;
  const first = t.items[0];
  return first?.type === "atom" && /^(MAXSIZE|DEPTH)$/i.test(first.value);
}

/** An entry or a list of entries (RFC 5464 §4.2: `entries = entry / "(" entry *(SP entry) ")"`). */
function entryList(t: Token): string[] {
  const items = t.type === "list" ? t.items : [t];
  if (items.length === 0) throw bad("Missing entry names");
  return items.map((x) => {
    if (x.type === "list") throw bad("Invalid entry name");
    return entryName(x.value, true);
  });
}

/**
 * GETMETADATA (RFC 5464 §4.2): `GETMETADATA [options] mailbox entries` (options after the mailbox
 * are accepted too). Answers one `* METADATA mailbox (entry value ...)`; entries over MAXSIZE are
 * left out and the tagged OK carries `[METADATA LONGENTRIES n]`, n the largest left out.
 */
export const getMetadata: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const args = [...cmd.args];
    let opts: { maxSize: number | null; depth: Depth } = { maxSize: null, depth: 0 };
    const first = args[0];
    const second = args[1];
    if (isOptions(first)) {
      opts = parseOptions(first.items);
      args.shift();
    } else if (args.length === 3 && isOptions(second)) {
      opts = parseOptions(second.items);
      args.splice(1, 1);
    }
    const a = new Args(args);
    const raw = a.astring("mailbox name");
    const requested = entryList(a.next("entries"));
    a.end();
    const t = await target(s, raw, "l");
    for (const r of requested) checkEntryRights(t.rights, r, false);
    const stored = await s.store.metadata.list(t.accountId, t.mailboxId, s.accountId);
    const parts: (string | Uint8Array)[] = [];
    let longest = 0;
    for (const e of selectEntries(stored, requested, opts.depth)) {
      if (e.value && opts.maxSize !== null && e.value.length > opts.maxSize) {
        longest = Math.max(longest, e.value.length);
        continue;
      }
      if (parts.length > 0) parts.push(" ");
      parts.push(astr(e.name, s.utf8) + " ");
      if (e.value === null) {
        parts.push("NIL");
      } else {
        // RFC 5464 §5: value = nstring / literal8 (RFC 3516 §4.3: literal8 when there is a NUL).
        parts.push(`${e.value.includes(0) ? "~" : ""}{${e.value.length}}\r\n`, e.value);
      }
    }
    if (parts.length > 0) {
      await s.out.text(`* METADATA ${t.name === "" ? '""' : s.encodeName(t.name)} (`);
      for (const p of parts) {
        if (typeof p === "string") await s.out.text(p);
        else await s.out.bytes(p);
      }
      await s.out.line(")");
    }
    // RFC 5464 §4.2.1: LONGENTRIES names the size of the largest entry left out.
    return longest > 0
      ? ok("GETMETADATA completed", `METADATA LONGENTRIES ${longest}`)
      : ok("GETMETADATA completed");
  },
};

/**
 * SETMETADATA (RFC 5464 §4.3): `SETMETADATA mailbox (entry value ...)`, NIL removing an entry.
 * All or nothing: a value over {@link MAX_VALUE_SIZE} is refused with `NO [METADATA MAXSIZE n]`,
 * more than {@link MAX_ENTRIES} entries in the account with `NO [METADATA TOOMANY]`. Server
 * `/shared` entries belong to the administrator: NO [CANNOT].
 */
export const setMetadata: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    const list = a.list("entry values").items;
    a.end();
    if (list.length === 0 || list.length % 2 !== 0) throw bad("Expected entry value pairs");
    const changes: MetadataChange[] = [];
    for (let i = 0; i < list.length; i += 2) {
      const e = list[i]!;
      const v = list[i + 1]!;
      if (e.type === "list") throw bad("Invalid entry name");
      const name = entryName(e.value, false);
      let value: Uint8Array | null;
      if (v.type === "atom") {
        if (v.value.toUpperCase() !== "NIL") throw bad("Expected a value or NIL");
        value = null;
      } else if (v.type === "string") {
        value = v.bytes;
      } else {
        throw bad("Expected a value or NIL");
      }
      if (value && value.length > MAX_VALUE_SIZE) {
        throw no("Value too long", `METADATA MAXSIZE ${MAX_VALUE_SIZE}`);
      }
      // The same entry twice: the last value wins.
      const at = changes.findIndex((c) => c.name === name);
      if (at >= 0) changes.splice(at, 1);
      changes.push({ name, value });
    }
    const t = await target(s, raw, "l");
    for (const c of changes) {
      if (t.mailboxId === "" && c.name.startsWith("/shared")) {
        throw no(`The ${c.name} server entry cannot be changed`, "CANNOT");
      }
      checkEntryRights(t.rights, c.name, true);
    }
    const existing = new Set(
      (await s.store.metadata.list(t.accountId, t.mailboxId, s.accountId)).map((e) => e.name),
    );
    let delta = 0;
    for (const c of changes) {
      if (c.value !== null && !existing.has(c.name)) delta++;
      if (c.value === null && existing.has(c.name)) delta--;
    }
    if (delta > 0 && (await s.store.metadata.count(t.accountId)) + delta > MAX_ENTRIES) {
      throw no("Too many metadata entries", "METADATA TOOMANY");
    }
    await s.store.metadata.apply(t.accountId, t.mailboxId, s.accountId, changes);
    // RFC 5465 §5.6, §5.7: NOTIFY sessions hear of the change (no message or JMAP type changed).
    s.store.notifier.publish({
      accountId: t.accountId,
      modseq: 0,
      types: [],
      mailboxIds: [],
      metadata: { mailboxId: t.mailboxId, names: changes.map((c) => c.name), userId: s.accountId },
    });
    return ok("SETMETADATA completed");
  },
};
