/**
 * FETCH differential comparison: APPENDs every corpus message to two IMAP servers (same flags, same
 * INTERNALDATE), FETCHes every item of every message from both, and counts the items whose values
 * agree. Used by `fetch_diff_test.ts` (asserts the agreement) and `bench/interop/mod.ts` (prints
 * the report).
 *
 * Items compared per message: FLAGS (without the session-dependent `\Recent`), INTERNALDATE (day
 * padding aside), RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE (MIME tokens compared
 * case-insensitively: type, subtype, encoding, parameter and disposition names, charset values),
 * BODY[HEADER], BODY[TEXT], RFC822.HEADER, BODY[HEADER.FIELDS (...)], BODY[HEADER.FIELDS.NOT (...)],
 * partial fetches of BODY[] and BODY[TEXT], and for every part (numbered from the reference server's
 * BODYSTRUCTURE, up to `maxParts`): BODY[n], BODY[n.MIME], and BINARY.SIZE[n] for leaf parts,
 * BODY[n.HEADER] and BODY[n.TEXT] for message/rfc822 parts.
 *
 * @module
 */
import { type ImapPeer, type ImapWire, serialize, type Value } from "./_dovecot.ts";
import { fetchItems } from "./_wire.ts";
import { parseMime } from "../../core/mime/parse.ts";
import type { MimePart } from "../../core/mime/types.ts";
import { CORPUS_DIR, corpusFiles } from "./_corpus.ts";

export { CORPUS_DIR, corpusFiles };

/** One item whose values differ. */
export interface ItemDiff {
  file: string;
  /** The item as named in the response, e.g. `BODY[1.MIME]`. */
  item: string;
  /** The item kind with part numbers replaced by `n`, e.g. `BODY[n.MIME]`. */
  kind: string;
  /** Canonical value from the reference (first) server, or `(missing)` (the server answered NO). */
  a: string;
  /** Canonical value from the second server, or `(missing)`. */
  b: string;
}

/** The result of a run. */
export interface DiffReport {
  /** Names of the two servers. */
  a: string;
  b: string;
  messages: number;
  /** Items compared, and how many agreed. */
  total: number;
  agreed: number;
  /** Per item kind: [agreed, total]. */
  byKind: Map<string, [number, number]>;
  diffs: ItemDiff[];
  /** Connections a server dropped (crash or BYE), with the command that did it. */
  serverErrors: string[];
  /**
   * Items the reference server refused (tagged NO, e.g. Dovecot's UNKNOWN-CTE for BINARY on a
   * whole message when one part has an unknown encoding) while the other answered: not counted.
   */
  refused: ItemDiff[];
  /** BINARY.SIZE values of the reference that contradicted its own BINARY[n] (`b`): not counted. */
  inconsistent: ItemDiff[];
  /** Corpus files whose MIME structure is malformed (Tern's parser records a defect). */
  malformed: Set<string>;
  /** Items compared and agreed in well-formed files only. */
  wellFormed: { total: number; agreed: number };
}

/** Options for `runFetchDiff`. */
export interface DiffOptions {
  /** Corpus files to use (default: all). */
  files?: string[];
  /** At most this many parts per message get per-part items (default 40). */
  maxParts?: number;
  /** Progress callback. */
  progress?: (done: number, total: number) => void;
}

const enc = new TextEncoder();

const FLAG_SETS = [[], ["\\Seen"], ["\\Seen", "\\Flagged"], ["\\Answered"], ["$Forwarded", "\\Draft"]];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A fixed INTERNALDATE per message index (varied day, zone and month). */
function dateFor(i: number): string {
  const day = String(1 + (i % 28)).padStart(2, "0");
  const zones = ["+0000", "-0500", "+0130", "+1200"];
  return `${day}-${MONTHS[i % 12]}-20${10 + (i % 15)} ${String(i % 24).padStart(2, "0")}:07:${
    String(i % 60).padStart(2, "0")
  } ${zones[i % 4]}`;
}

const HEADER_FIELDS = "BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID CONTENT-TYPE X-NONE)]";
const HEADER_FIELDS_NOT = "BODY.PEEK[HEADER.FIELDS.NOT (RECEIVED DKIM-SIGNATURE SUBJECT)]";

/** Items fetched for every message (besides the per-part ones). */
const MESSAGE_ITEMS = [
  "FLAGS",
  "INTERNALDATE",
  "RFC822.SIZE",
  "ENVELOPE",
  "BODY",
  "BODYSTRUCTURE",
  "BODY.PEEK[HEADER]",
  "BODY.PEEK[TEXT]",
  "RFC822.HEADER",
  HEADER_FIELDS,
  HEADER_FIELDS_NOT,
  "BODY.PEEK[]<0.100>",
  "BODY.PEEK[]<100.200>",
  "BODY.PEEK[TEXT]<0.50>",
  "BODY.PEEK[]<1000000000.10>",
];

/** Part paths with their kind, from a BODYSTRUCTURE value (RFC 9051 §6.4.5 numbering). */
export function partsOf(bs: Value, prefix = ""): { path: string; kind: "leaf" | "multipart" | "message" }[] {
  const out: { path: string; kind: "leaf" | "multipart" | "message" }[] = [];
  if (bs.kind !== "list") return out;
  const items = bs.items;
  if (items[0]?.kind === "list") {
    // multipart: children then subtype
    let n = 0;
    for (const child of items) {
      if (child.kind !== "list") break;
      n++;
      const path = prefix ? `${prefix}.${n}` : `${n}`;
      const isMulti = child.items[0]?.kind === "list";
      const isMsg = !isMulti && lower(child.items[0]) === "message" &&
        ["rfc822", "global"].includes(lower(child.items[1]));
      out.push({ path, kind: isMulti ? "multipart" : isMsg ? "message" : "leaf" });
      if (isMulti) out.push(...partsOf(child, path));
      else if (isMsg && child.items[8]) out.push(...nestedParts(child.items[8], path));
    }
    return out;
  }
  if (!prefix) {
    const isMsg = lower(items[0]) === "message" && ["rfc822", "global"].includes(lower(items[1]));
    out.push({ path: "1", kind: isMsg ? "message" : "leaf" });
    if (isMsg && items[8]) out.push(...nestedParts(items[8], "1"));
  }
  return out;
}

/** Parts inside an embedded message's body structure at `path`. */
function nestedParts(bs: Value, path: string): { path: string; kind: "leaf" | "multipart" | "message" }[] {
  if (bs.kind !== "list") return [];
  if (bs.items[0]?.kind === "list") return partsOf(bs, path);
  // A non-multipart embedded body is part `path.1`.
  const isMsg = lower(bs.items[0]) === "message" && ["rfc822", "global"].includes(lower(bs.items[1]));
  const out: { path: string; kind: "leaf" | "multipart" | "message" }[] = [
    { path: `${path}.1`, kind: isMsg ? "message" : "leaf" },
  ];
  if (isMsg && bs.items[8]) out.push(...nestedParts(bs.items[8], `${path}.1`));
  return out;
}

function lower(v: Value | undefined): string {
  return v?.kind === "string" ? new TextDecoder("latin1").decode(v.bytes).toLowerCase() : "";
}

function foldString(v: Value): Value {
  return v.kind === "string" ? { ...v, bytes: enc.encode(lower(v).toUpperCase()) } : v;
}

function foldParams(v: Value | undefined, charsetToo = true): Value | undefined {
  if (!v || v.kind !== "list") return v;
  const items = v.items.map((x, i) => {
    if (i % 2 === 0) return foldString(x);
    const name = lower(v.items[i - 1]);
    return charsetToo && name === "charset" ? foldString(x) : x;
  });
  return { kind: "list", items };
}

function foldDisposition(v: Value | undefined): Value | undefined {
  if (!v || v.kind !== "list") return v;
  return { kind: "list", items: [foldString(v.items[0]!), foldParams(v.items[1], false)!] };
}

/**
 * A BODY/BODYSTRUCTURE value with its case-insensitive MIME tokens upper-cased (RFC 2045 §5.1:
 * type, subtype and parameter names; charset values; RFC 2183 disposition type and parameter
 * names; RFC 2045 §6.1 encodings).
 */
export function foldMimeTokens(v: Value): Value {
  if (v.kind !== "list") return v;
  const it = v.items;
  if (it[0]?.kind === "list") {
    const out: Value[] = [];
    let i = 0;
    for (; i < it.length && it[i]!.kind === "list"; i++) out.push(foldMimeTokens(it[i]!));
    if (i < it.length) out.push(foldString(it[i++]!));
    if (i < it.length) out.push(foldParams(it[i++])!);
    if (i < it.length) out.push(foldDisposition(it[i++])!);
    for (; i < it.length; i++) out.push(it[i]!);
    return { kind: "list", items: out };
  }
  const out = [...it];
  const isMsg = lower(it[0]) === "message" && ["rfc822", "global"].includes(lower(it[1]));
  const isText = lower(it[0]) === "text";
  if (out[0]) out[0] = foldString(out[0]);
  if (out[1]) out[1] = foldString(out[1]);
  if (out[2]) out[2] = foldParams(out[2])!;
  if (out[5]) out[5] = foldString(out[5]);
  // extension data starts after size (7), or after lines (8) for text, or after envelope, body, lines for message
  let ext = 7;
  if (isText) ext = 8;
  if (isMsg) {
    if (out[8]) out[8] = foldMimeTokens(out[8]);
    ext = 10;
  }
  if (out[ext + 1]) out[ext + 1] = foldDisposition(out[ext + 1])!;
  return { kind: "list", items: out };
}

/** The item kind for statistics: part numbers replaced by `n`. */
export function itemKind(item: string): string {
  return item.replace(/\[(\d+(?:\.\d+)*)/, "[n");
}

const MISSING = "(missing)";

/** True when the parser recorded a defect anywhere in the tree (a malformed message). */
function hasDefect(p: MimePart): boolean {
  return p.defects.length > 0 || p.children.some(hasDefect) || (p.message !== null && hasDefect(p.message));
}

function canonical(item: string, v: Value | undefined): string {
  if (v === undefined) return MISSING;
  if (item === "FLAGS" && v.kind === "list") {
    return serialize({
      kind: "list",
      items: v.items.filter((x) => !(x.kind === "atom" && x.text.toLowerCase() === "\\recent"))
        .sort((x, y) => serialize(x).toLowerCase() < serialize(y).toLowerCase() ? -1 : 1),
    }).toLowerCase();
  }
  if (item === "INTERNALDATE" && v.kind === "string") {
    return serialize(v).replace(/^" /, '"0');
  }
  if (item === "BODY" || item === "BODYSTRUCTURE") return serialize(foldMimeTokens(v));
  return serialize(v);
}

function truncate(s: string, n = 300): string {
  return s.length > n ? s.slice(0, n) + `…(${s.length})` : s;
}

/** A logged-in, selected connection that reconnects when the server drops it (a server crash). */
class Session {
  w!: ImapWire;
  /** Server errors seen (BYE or dropped connection), with the items being fetched. */
  errors: string[] = [];
  /** `uid item` pairs whose fetch made the server drop the connection (not compared). */
  failed = new Set<string>();
  constructor(readonly peer: ImapPeer) {}

  async open(): Promise<void> {
    this.w = await this.peer.login();
    await this.w.ok("SELECT INBOX");
  }

  async fetchMap(uid: number, items: string[]): Promise<Map<string, Value>> {
    const out = new Map<string, Value>();
    let rs;
    try {
      rs = await this.w.cmd(`UID FETCH ${uid} (${items.join(" ")})`);
    } catch (e) {
      this.w.close();
      await this.open();
      if (items.length === 1) {
        this.errors.push(`${this.peer.name} uid ${uid} ${items[0]}: ${(e as Error).message.slice(-160)}`);
        this.failed.add(`${uid} ${responseNames(items)[0]}`);
        return out;
      }
      rs = [{ text: "TAG NO dropped", bytes: new Uint8Array() }];
    }
    const tagged = rs.at(-1)!.text;
    if (!tagged.startsWith("TAG OK") && items.length > 1) {
      // One bad item fails the whole command: fetch item by item to keep the good ones.
      for (const it of items) for (const [k, v] of await this.fetchMap(uid, [it])) out.set(k, v);
      return out;
    }
    for (const r of rs) {
      const f = fetchItems(r.bytes);
      if (!f) continue;
      for (const [k, v] of f.items) if (k !== "UID") out.set(k, v);
    }
    return out;
  }
}

/** Names of items in a FETCH request, as a server names them in the response. */
function responseNames(items: string[]): string[] {
  return items.map((i) =>
    i.replace(".PEEK", "").replace(/<(\d+)\.\d+>$/, "<$1>").replace(
      /\[HEADER\.FIELDS(\.NOT)? /,
      "[HEADER.FIELDS$1 ",
    )
  );
}

async function appendAll(w: ImapWire, files: string[]): Promise<(number | null)[]> {
  const uids: (number | null)[] = [];
  for (let i = 0; i < files.length; i++) {
    const bytes = await Deno.readFile(new URL(files[i]!, CORPUS_DIR));
    const r = await w.append("INBOX", bytes, { flags: FLAG_SETS[i % FLAG_SETS.length]!, date: dateFor(i) });
    const m = /APPENDUID \d+ (\d+)/.exec(r);
    uids.push(r.startsWith("TAG OK") && m ? Number(m[1]) : null);
  }
  return uids;
}

/**
 * Runs the comparison: server `a` is the reference (its BODYSTRUCTURE decides the part list).
 * Both servers must have the user logged in by `login()` with an empty INBOX.
 */
export async function runFetchDiff(a: ImapPeer, b: ImapPeer, opts: DiffOptions = {}): Promise<DiffReport> {
  const files = opts.files ?? await corpusFiles();
  const maxParts = opts.maxParts ?? 40;
  const wa = await a.login();
  const wb = await b.login();
  const sa = new Session(a);
  const sb = new Session(b);
  const report: DiffReport = {
    a: a.name,
    b: b.name,
    messages: files.length,
    total: 0,
    agreed: 0,
    byKind: new Map(),
    diffs: [],
    serverErrors: [],
    refused: [],
    inconsistent: [],
    malformed: new Set(),
    wellFormed: { total: 0, agreed: 0 },
  };
  try {
    const [ua, ub] = await Promise.all([appendAll(wa, files), appendAll(wb, files)]);
    await Promise.all([sa.open(), sb.open()]);
    const count = (file: string, item: string, va: string, vb: string) => {
      const kind = itemKind(item);
      if (va === MISSING && vb !== MISSING) {
        report.refused.push({ file, item, kind, a: va, b: vb });
        return;
      }
      const k = report.byKind.get(kind) ?? [0, 0];
      const clean = !report.malformed.has(file);
      k[1]++;
      report.total++;
      if (clean) report.wellFormed.total++;
      if (va === vb) {
        k[0]++;
        report.agreed++;
        if (clean) report.wellFormed.agreed++;
      } else {
        report.diffs.push({ file, item, kind, a: va, b: vb });
      }
      report.byKind.set(kind, k);
    };
    for (const file of files) {
      // Malformed as sent: the parser records a defect (bare-CR line endings included).
      if (hasDefect(parseMime(await Deno.readFile(new URL(file, CORPUS_DIR))))) {
        report.malformed.add(file);
      }
    }
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      opts.progress?.(i, files.length);
      const uidA = ua[i];
      const uidB = ub[i];
      if (uidA == null || uidB == null) {
        count(file, "APPEND", uidA == null ? "(refused)" : "OK", uidB == null ? "(refused)" : "OK");
        continue;
      }
      const [ma, mb] = await Promise.all([
        sa.fetchMap(uidA, MESSAGE_ITEMS),
        sb.fetchMap(uidB, MESSAGE_ITEMS),
      ]);
      for (const name of responseNames(MESSAGE_ITEMS)) {
        if (sa.failed.has(`${uidA} ${name}`) || sb.failed.has(`${uidB} ${name}`)) continue;
        count(file, name, canonical(name, ma.get(name)), canonical(name, mb.get(name)));
      }
      const bs = ma.get("BODYSTRUCTURE");
      const parts = bs ? partsOf(bs).slice(0, maxParts) : [];
      const partItems: string[] = [];
      for (const p of parts) {
        partItems.push(`BODY.PEEK[${p.path}]`, `BODY.PEEK[${p.path}.MIME]`);
        if (p.kind === "leaf") partItems.push(`BINARY.SIZE[${p.path}]`, `BINARY.PEEK[${p.path}]`);
        if (p.kind === "message") partItems.push(`BODY.PEEK[${p.path}.HEADER]`, `BODY.PEEK[${p.path}.TEXT]`);
      }
      if (parts[0]?.kind === "leaf") partItems.push(`BODY.PEEK[1]<0.20>`);
      if (partItems.length === 0) continue;
      const [pa, pb] = await Promise.all([sa.fetchMap(uidA, partItems), sb.fetchMap(uidB, partItems)]);
      for (const name of responseNames(partItems)) {
        if (sa.failed.has(`${uidA} ${name}`) || sb.failed.has(`${uidB} ${name}`)) continue;
        const va = canonical(name, pa.get(name));
        if (name.startsWith("BINARY.SIZE[")) {
          // RFC 3516 §4.2: BINARY.SIZE is the size of BINARY[n]. When the reference contradicts its
          // own BINARY[n] (Dovecot does for some QP parts, or underflows), there is nothing to
          // compare against: not counted (BINARY[n] itself still is).
          const bin = pa.get(name.replace("BINARY.SIZE[", "BINARY["));
          if (bin?.kind === "string" && String(bin.bytes.length) !== va && va !== MISSING) {
            const b = String(bin.bytes.length);
            report.inconsistent.push({ file, item: name, kind: itemKind(name), a: va, b });
            continue;
          }
        }
        count(file, name, va, canonical(name, pb.get(name)));
      }
    }
  } finally {
    wa.close();
    wb.close();
    sa.w?.close();
    sb.w?.close();
    report.serverErrors = [...sa.errors, ...sb.errors];
  }
  return report;
}

/** Agreement in percent, one decimal (rounded down). */
export function agreement(r: DiffReport): number {
  return r.total === 0 ? 100 : Math.floor(r.agreed / r.total * 1000) / 10;
}

/** Agreement on well-formed messages only (no parser defect), in percent, one decimal. */
export function wellFormedAgreement(r: DiffReport): number {
  const w = r.wellFormed;
  return w.total === 0 ? 100 : Math.floor(w.agreed / w.total * 1000) / 10;
}

/** A printable report: the figure, per-kind agreement (worst first) and the first differences. */
export function formatReport(r: DiffReport, maxDiffs = 25): string {
  const lines: string[] = [];
  lines.push(
    `FETCH agreement ${r.b} vs ${r.a}: ${
      agreement(r)
    }% (${r.agreed}/${r.total} items, ${r.messages} messages)`,
  );
  lines.push(
    `  on the ${r.messages - r.malformed.size} well-formed messages: ${wellFormedAgreement(r)}% ` +
      `(${r.wellFormed.agreed}/${r.wellFormed.total}); ${r.malformed.size} messages are malformed MIME ` +
      `(${r.diffs.filter((d) => r.malformed.has(d.file)).length} of the differences)`,
  );
  if (r.refused.length > 0) {
    lines.push(`  ${r.refused.length} items not counted: ${r.a} refused them (NO), ${r.b} answered`);
  }
  if (r.inconsistent.length > 0) {
    lines.push(
      `  ${r.inconsistent.length} items not counted: ${r.a}'s BINARY.SIZE contradicted its own BINARY[n]`,
    );
  }
  const kinds = [...r.byKind.entries()].sort((x, y) => (x[1][0] / x[1][1]) - (y[1][0] / y[1][1]));
  lines.push("per item (agreed/total):");
  for (const [k, [ok, total]] of kinds) {
    if (ok === total) continue;
    lines.push(`  ${k.padEnd(48)} ${ok}/${total} (${(ok / total * 100).toFixed(1)}%)`);
  }
  if (r.serverErrors.length > 0) {
    lines.push(`${r.serverErrors.length} items not compared (the server dropped the connection):`);
    for (const e of r.serverErrors.slice(0, 10)) lines.push(`  ${e}`);
  }
  lines.push(`first ${Math.min(maxDiffs, r.diffs.length)} of ${r.diffs.length} differences:`);
  // Spread the examples over kinds: one per kind first, then the rest.
  const seen = new Set<string>();
  const picked = [...r.diffs.filter((d) => !seen.has(d.kind) && seen.add(d.kind)), ...r.diffs];
  for (const d of [...new Set(picked)].slice(0, maxDiffs)) {
    lines.push(`  ${d.file} ${d.item}`);
    lines.push(`    ${r.a}: ${JSON.stringify(truncate(d.a))}`);
    lines.push(`    ${r.b}: ${JSON.stringify(truncate(d.b))}`);
  }
  return lines.join("\n");
}
