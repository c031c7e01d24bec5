/**
 * What the session-view differential tests compare of one command's responses against Dovecot
 * (`concurrency_diff_test.ts`, `random_diff_test.ts`): EXISTS, RECENT, EXPUNGE, FLAGS,
 * PERMANENTFLAGS, SEARCH, ESEARCH, STATUS and BYE responses as sent (flag lists and SEARCH numbers
 * sorted, ESEARCH data in one order),
 * the FETCH responses of the command merged per message (a server may send the solicited items and
 * a flag update in one response or two), `UID` dropped from FETCH responses unless the command
 * asked for UIDs (RFC 9051 §7.5.2 allows either), other untagged OK responses ignored (UNSEEN,
 * UIDNEXT, MAILBOXID… differ in presence, not in meaning), INTERNALDATE values left out (each server
 * received the APPEND at its own moment), MIME tokens case-folded, SELECT's untagged responses as a set,
 * and the tagged reply's status and response code without the codes that only carry server data.
 *
 * @module
 */
import { fetchItems, normaliseResponse, type Response, serialize } from "./_dovecot.ts";

/** Sorts a parenthesised flag list. */
function sortFlags(list: string): string {
  const inner = list.replace(/^\(|\)$/g, "").trim();
  return "(" + (inner ? inner.split(/\s+/).sort().join(" ") : "") + ")";
}

/**
 * ESEARCH return data (RFC 4731 §3) in one order, names upper-cased, and ALL's set as the numbers
 * it names (`1:3` and `1,2,3` are the same set).
 */
function esearchData(text: string): string {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  const pairs: string[] = [];
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const name = tokens[i]!.toUpperCase();
    // MODSEQ values are each server's own counter (RFC 7162): compared as present, not by value.
    const value = name === "MODSEQ"
      ? "*"
      : name !== "ALL"
      ? tokens[i + 1]!
      : tokens[i + 1]!.split(",").flatMap((range) => {
        const [a, b] = range.split(":").map(Number);
        const lo = Math.min(a!, b ?? a!);
        const hi = Math.max(a!, b ?? a!);
        return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
      }).join(",");
    pairs.push(` ${name} ${value}`);
  }
  return pairs.sort().join("");
}

/** What is compared of one command's responses (see the module doc). */
export function viewOf(cmd: string, rs: Response[]): string[] {
  const out: string[] = [];
  const fetches = new Map<number, Map<string, string>>();
  const wantUid = /\bUID\b/i.test(cmd);
  for (const r of rs.slice(0, -1)) {
    const t = r.text;
    let m: RegExpExecArray | null;
    if ((m = /^\* (\d+) (EXISTS|RECENT|EXPUNGE)$/i.exec(t))) out.push(`* ${m[1]} ${m[2]!.toUpperCase()}`);
    else if ((m = /^\* FLAGS (\(.*\))$/i.exec(t))) out.push(`* FLAGS ${sortFlags(m[1]!)}`);
    else if ((m = /^\* OK \[PERMANENTFLAGS (\(.*?\))\]/i.exec(t))) {
      out.push(`* OK [PERMANENTFLAGS ${sortFlags(m[1]!)}]`);
    } else if ((m = /^\* SEARCH ?(.*?)( \(MODSEQ \d+\))?$/i.exec(t))) {
      const numbers = m[1]!.split(/\s+/).filter(Boolean).map(Number).sort((x, y) => x - y).join(" ");
      out.push(`* SEARCH ${numbers}${m[2] ? " (MODSEQ *)" : ""}`);
    } else if ((m = /^\* ESEARCH \(TAG "[^"]*"\)( UID)?(.*)$/i.exec(t))) {
      out.push(`* ESEARCH${m[1] ? " UID" : ""}${esearchData(m[2]!)}`);
    } else if ((m = /^\* VANISHED( \(EARLIER\))? (\S+)$/i.exec(t))) {
      // RFC 7162 §3.2.10: the UIDs as a sorted list (`1:3` and `1,2,3` are the same set).
      const uids = m[2]!.split(",").flatMap((range) => {
        const [x, y] = range.split(":").map(Number);
        const lo = Math.min(x!, y ?? x!);
        return Array.from({ length: Math.max(x!, y ?? x!) - lo + 1 }, (_, k) => lo + k);
      });
      out.push(`* VANISHED${m[1] ? " (EARLIER)" : ""} ${uids.sort((x, y) => x - y).join(",")}`);
    } else if (/^\* STATUS /i.test(t)) out.push(normaliseResponse(r));
    else if (/^\* BYE/i.test(t)) out.push("* BYE");
    else {
      const f = fetchItems(r);
      if (!f) continue;
      const items = fetches.get(f.seq) ?? new Map<string, string>();
      for (const [k, v] of f.items) {
        if (k === "UID" && !wantUid) continue;
        // INTERNALDATE: when each server received the APPEND (and `date-day-fixed` may be " 7" or "07").
        // MIME tokens in BODY/BODYSTRUCTURE compare case-insensitively ("7bit", "7BIT").
        const mime = k === "BODY" || k === "BODYSTRUCTURE";
        // MODSEQ: each server's own counter (RFC 7162), compared as present.
        const s = k === "INTERNALDATE" ? '"*"' : k === "MODSEQ" ? "(*)" : serialize(v, { foldCase: mime });
        items.set(k, k === "FLAGS" ? sortFlags(s) : s);
      }
      fetches.set(f.seq, items);
    }
  }
  // The order of SELECT's untagged responses carries no meaning (RFC 9051 §6.3.2).
  if (/^(SELECT|EXAMINE) /i.test(cmd)) out.sort();
  for (const [seq, items] of [...fetches].sort((x, y) => x[0] - y[0])) {
    if (items.size === 0) continue;
    out.push(`* ${seq} FETCH (${[...items].map(([k, v]) => `${k} ${v}`).sort().join(" ")})`);
  }
  out.push(tagged(rs.at(-1)!));
  return out;
}

/** Response codes that carry server-specific data, not behaviour: left out of the comparison. */
const DATA_CODES = /^\[(MAILBOXID|APPENDUID|COPYUID|HIGHESTMODSEQ)\b/i;

/** The tagged reply: status and response code (without the codes in `DATA_CODES`). */
export function tagged(r: Response): string {
  const m = /^(TAG \S+)( \[[^\]]*\])?/.exec(normaliseResponse(r));
  if (!m) return normaliseResponse(r);
  return m[2] && !DATA_CODES.test(m[2].trim()) ? m[1]! + m[2] : m[1]!;
}

/** Lines of a view that report the mailbox's changes rather than answer the command. */
const UPDATE_LINE = /^\* (FLAGS |OK \[PERMANENTFLAGS |\d+ (EXISTS|EXPUNGE|RECENT)$)/;

/**
 * A line as the random scripts compare it: without \Recent and STATUS RECENT counts (which of two sessions gets the
 * \Recent of a message added while both have the mailbox selected is Dovecot's own choice;
 * concurrency_diff_test.ts pins the RFC 3501 §2.3.2 rule), a flag update (FETCH of FLAGS alone)
 * without the UID Tern adds to it during a UID command (RFC 9051 §7.5.2 allows either), and a BAD
 * without the informative [CLIENTBUG] code (RFC 5530 §3) Tern gives it.
 */
function comparable(line: string): string {
  return line
    .replace(/\\Recent ?/g, "")
    .replace(/^(\* STATUS .*\bRECENT )\d+/i, "$1*")
    .replace(/ \)/g, ")")
    .replace(/^(\* \d+ FETCH \(FLAGS \([^)]*\)(?: MODSEQ \(\*\))?) UID \d+\)$/, "$1)")
    .replace(/^TAG BAD \[CLIENTBUG\]$/, "TAG BAD")
    // STATUS of a missing mailbox: Dovecot 2.3 gives no response code, Tern RFC 5530's.
    .replace(/^TAG NO \[NONEXISTENT\]$/, "TAG NO");
}

/**
 * Compares what one command answered on Dovecot (`want`) and on Tern (`got`) for the random
 * scripts; returns how they differ, or null. Compared: the tagged status, SEARCH, ESEARCH and STATUS, and
 * the FETCH responses of FETCH and STORE commands (lines as `comparable` makes them). The updates
 * a command carries (EXISTS, EXPUNGE, RECENT, FLAGS, flag changes of other sessions) are not
 * compared step by step: the two servers may send them at different moments and in different
 * orders (RFC 9051 §7.5.1 and §5.2 leave both open; Dovecot also announces a message another
 * session already expunged, which Tern never shows), so the scripts end with NOOP and a FETCH of
 * every message's flags in each session instead, where both must agree. Also allowed, as
 * docs/rfc.md says:
 * - content of a message expunged by another session: Dovecot answers NIL and OK [EXPUNGEISSUED],
 *   Tern serves it (RFC 2180 §4.1.1); only Tern's success is compared;
 * - a STORE without .SILENT: Tern reports every message of the set, Dovecot only those whose flags
 *   changed (RFC 9051 §6.4.6 asks for neither), and also a change another session made and undid:
 *   the messages both report must agree;
 * - a STORE with .SILENT: Tern reports a flag change of another session as it was before the
 *   STORE, Dovecot the value after it (both determinate, §6.4.6): not compared;
 * - a FETCH that did not ask for MODSEQ: the MODSEQ of a flag update merged into its responses
 *   (Dovecot reports one whose flags ended as they were);
 * - UNCHANGEDSINCE, CHANGEDSINCE or SEARCH MODSEQ in a session that may still show a message another
 *   session expunged (`pendingExpunge`): only the status (that message's MODSEQ differs);
 * - a STORE in a session that may still show a message another session expunged
 *   (`pendingExpunge`): Tern applies it to that message as this session sees it, Dovecot leaves
 *   it and reports its flags as they were (RFC 2180 §4.2 allows both): FETCH responses not compared.
 */
export function viewDifference(
  cmd: string,
  want: string[],
  got: string[],
  opts: { pendingExpunge?: boolean } = {},
): string | null {
  if (want.at(-1) === "TAG OK [EXPUNGEISSUED]") {
    return got.at(-1) === "TAG OK" ? null : `  dovecot: ${want.at(-1)}\n  tern:    ${got.join(" | ")}`;
  }
  // A MODSEQ test (UNCHANGEDSINCE, CHANGEDSINCE, SEARCH MODSEQ) in a session that may still show
  // a message another session expunged: that message's MODSEQ is Tern's last known one, Dovecot's
  // may count the expunge; the status alone is compared.
  if (opts.pendingExpunge && /CHANGEDSINCE|\bMODSEQ\b/i.test(cmd)) {
    const status = (v: string[]) => v.at(-1)!.split(" ").slice(0, 2).join(" ");
    return status(want) === status(got) ? null : `  dovecot: ${want.at(-1)}\n  tern:    ${got.at(-1)}`;
  }
  const store = /^(UID )?STORE /i.test(cmd);
  const fetches = /^(UID )?FETCH /i.test(cmd) ||
    (store && !opts.pendingExpunge &&
      !/^(UID )?STORE \S+ (\(UNCHANGEDSINCE \d+\) )?[+-]?FLAGS\.SILENT /i.test(cmd));
  const keep = (l: string) => !UPDATE_LINE.test(l) && (fetches || !/^\* \d+ FETCH /.test(l));
  // A FETCH that did not ask for FLAGS: flag updates merged into its responses are compared at
  // the script's end (Dovecot also reports a flag change undone before this session saw it).
  const dropFlags = /^(UID )?FETCH /i.test(cmd) && !/\bFLAGS\b/i.test(cmd.replace(/^(UID )?FETCH \S+/i, ""))
    ? (l: string) =>
      /^\* \d+ FETCH /.test(l) ? l.replace(/ ?\bFLAGS \([^)]*\)/, "").replace("FETCH ( ", "FETCH (") : l
    : (l: string) => l;
  // A FETCH that did not ask for MODSEQ: the MODSEQ of a flag update merged into it is left out
  // (Dovecot also reports a MODSEQ that changed while the flags ended as they were).
  const dropModseq = /^(UID )?FETCH /i.test(cmd) && !/CHANGEDSINCE|\bMODSEQ\b/i.test(cmd)
    ? (l: string) => l.replace(/ MODSEQ \(\*\)/, "")
    : (l: string) => l;
  const solicited = (l: string) => !/^\* \d+ FETCH \((UID \d+)?\)$/.test(l);
  const w = want.filter(keep).map(comparable).map(dropFlags).map(dropModseq).filter(solicited);
  let g = got.filter(keep).map(comparable).map(dropFlags).map(dropModseq).filter(solicited);
  let w2 = w;
  if (/^(UID )?STORE \S+ (\(UNCHANGEDSINCE \d+\) )?[+-]?FLAGS /i.test(cmd)) {
    // Messages both report must agree; one only Tern reports is of the set (unchanged flags), one
    // only Dovecot reports had a change undone before this session saw it: both end up in the
    // flags the script's end compares.
    const seqOf = (l: string) => /^\* (\d+) FETCH /.exec(l)?.[1];
    const inW = new Set(w.map(seqOf).filter(Boolean));
    const inG = new Set(g.map(seqOf).filter(Boolean));
    g = g.filter((l) => !seqOf(l) || inW.has(seqOf(l)));
    w2 = w.filter((l) => !seqOf(l) || inG.has(seqOf(l)));
  }
  // A SEARCH while another session changed flags or (UID SEARCH) expunged messages: Tern reports
  // the changes first and searches the mailbox as it is then, Dovecot searches it as it was and
  // reports the changes after, or not yet (each answer consistent with the order of its responses).
  const changes = (v: string[]) => v.some((l) => /^\* \d+ (FETCH \(FLAGS |EXPUNGE$)/.test(l));
  if (/^(UID )?SEARCH /i.test(cmd) && (changes(want) || changes(got))) {
    return comparable(want.at(-1)!) === comparable(got.at(-1)!)
      ? null
      : `  dovecot: ${want.at(-1)}\n  tern:    ${got.at(-1)}`;
  }
  if (JSON.stringify(w2) === JSON.stringify(g)) return null;
  const expunges = (v: string[]) => v.some((l) => /^\* \d+ EXPUNGE$/.test(l));
  // A UID command that reports another session's expunge: Tern reports it before answering and
  // leaves the message out, Dovecot answers for it too and reports the expunge after (its
  // numbers then the old ones). Compared by UID: Tern's answers must be Dovecot's for those UIDs.
  if (/^UID /i.test(cmd) && (expunges(want) || expunges(got))) {
    const byUid = (v: string[]) =>
      v.filter((l) => /^\* \d+ FETCH /.test(l)).map((l) => l.replace(/^\* \d+ /, "* "));
    const wanted = new Set(byUid(w));
    const rest = (v: string[]) => v.filter((l) => !/^\* \d+ FETCH /.test(l));
    if (byUid(g).every((l) => wanted.has(l)) && JSON.stringify(rest(w)) === JSON.stringify(rest(g))) {
      return null;
    }
  }
  return `  dovecot: ${want.join(" | ")}\n  tern:    ${got.join(" | ")}`;
}

/**
 * Whether the two servers part ways here on purpose, so that the rest of a script cannot be
 * compared:
 * - a UID COPY or UID MOVE whose set holds a message another session expunged, which Dovecot
 *   refuses (NO [EXPUNGEISSUED]) and Tern carries out on the messages that are left (RFC 9051
 *   §6.4.9: a UID that does not exist is ignored);
 * - a UID SEARCH after another session expunged messages: Tern reports the expunges (RFC 9051
 *   §7.5.1 allows it during a UID command), Dovecot keeps them for a later command, so the two
 *   sessions number the messages differently from there on;
 * - a UID COPY or UID MOVE of no existing message to a mailbox that does not exist: Dovecot
 *   answers OK (nothing to do), Tern NO [TRYCREATE] (RFC 9051 §6.4.7);
 * - a UID EXPUNGE of a message another session marked \Deleted while a third added one: Tern
 *   expunges it (the flag is set), Dovecot 2.3 leaves it (it checks the flags this session had
 *   seen when a new message is still to be announced; without one it expunges it too).
 */
export function divergesOnPurpose(cmd: string, want: string[], got: string[]): boolean {
  const expunges = (v: string[]) => v.filter((l) => /^\* \d+ EXPUNGE$/.test(l)).length;
  if (/^UID (SEARCH|EXPUNGE) /i.test(cmd) && expunges(want) !== expunges(got)) return true;
  // Dovecot's OK also tells the session of new messages, which Tern's NO leaves for later.
  if (/^UID (COPY|MOVE) /i.test(cmd) && want.at(-1) === "TAG OK" && got.at(-1) === "TAG NO [TRYCREATE]") {
    return true;
  }
  return /^UID (COPY|MOVE) /i.test(cmd) && want.at(-1) === "TAG NO [EXPUNGEISSUED]" &&
    got.at(-1) === "TAG OK";
}

/**
 * Tern's rule for keywords (RFC 9051 §7.3.5): a keyword shows in a FETCH response only after a
 * FLAGS response of the session offered it. Feeds one command's responses; returns the keywords
 * used before they were offered (none when the rule held). `offered` carries the session's state.
 */
export function announcedBeforeUse(rs: Response[], offered: Set<string>): string[] {
  const late: string[] = [];
  for (const r of rs) {
    const m = /^\* FLAGS \((.*)\)$/i.exec(r.text);
    if (m) {
      for (const f of m[1]!.split(/\s+/)) if (f) offered.add(f.toLowerCase());
      continue;
    }
    const flags = fetchItems(r)?.items.get("FLAGS");
    if (!flags) continue;
    for (const x of serialize(flags).replace(/^\(|\)$/g, "").split(/\s+/)) {
      if (x && !x.startsWith("\\") && !offered.has(x.toLowerCase())) late.push(x);
    }
  }
  return late;
}
