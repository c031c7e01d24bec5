/**
 * The message-state headers mbox files carry (`Status`, `X-Status`, `X-Keywords`, written by
 * Dovecot, mutt and Pine; `X-Mozilla-Status` written by Thunderbird) read into IMAP flags, and
 * written back on export. Maildir's info letters are in maildir.ts.
 *
 * @module
 */

/** Header fields that are mbox metadata, not message content: removed on import, written on export. */
export const MBOX_STATE_FIELDS = ["status", "x-status", "x-keywords", "x-uid", "x-imap", "x-imapbase"];

const decoder = new TextDecoder();

/** True for an IMAP atom: no atom-specials, controls or non-ASCII (RFC 9051 §9). */
function isAtom(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x20 || c >= 0x7f || '(){%*"\\]'.includes(ch)) return false;
  }
  return true;
}

/** Flags from the state fields of a header block (`name` lowercase → unfolded value). */
export function flagsFromState(fields: Map<string, string>): string[] {
  const flags = new Set<string>();
  const status = fields.get("status");
  const xstatus = fields.get("x-status");
  if (status !== undefined || xstatus !== undefined) {
    if (status?.includes("R")) flags.add("\\Seen");
    for (const c of xstatus ?? "") {
      if (c === "A") flags.add("\\Answered");
      else if (c === "F") flags.add("\\Flagged");
      else if (c === "T") flags.add("\\Draft");
      else if (c === "D") flags.add("\\Deleted");
    }
  } else {
    // Thunderbird: X-Mozilla-Status is a hex bit field (0x1 read, 0x2 replied, 0x4 marked, 0x8 deleted).
    const moz = fields.get("x-mozilla-status");
    const bits = moz && /^[0-9a-f]{1,4}$/i.test(moz.trim()) ? parseInt(moz.trim(), 16) : 0;
    if (bits & 0x1) flags.add("\\Seen");
    if (bits & 0x2) flags.add("\\Answered");
    if (bits & 0x4) flags.add("\\Flagged");
  }
  for (const k of (fields.get("x-keywords") ?? "").split(/[\s,]+/)) {
    // RFC 9051 §9 flag-keyword: an atom; anything else is not a keyword.
    if (k && isAtom(k)) flags.add(k);
  }
  return [...flags];
}

/** The state header lines written on export (Dovecot's form). */
export function stateHeaders(flags: string[]): string[] {
  const has = (f: string) => flags.some((x) => x.toLowerCase() === f.toLowerCase());
  const out = [`Status: ${has("\\Seen") ? "RO" : "O"}`];
  const x = (has("\\Answered") ? "A" : "") + (has("\\Flagged") ? "F" : "") + (has("\\Draft") ? "T" : "") +
    (has("\\Deleted") ? "D" : "");
  if (x) out.push(`X-Status: ${x}`);
  const keywords = flags.filter((f) => !f.startsWith("\\"));
  if (keywords.length > 0) out.push(`X-Keywords: ${keywords.join(" ")}`);
  return out;
}

/**
 * Splits header lines (without line endings) into the state fields (unfolded, lowercase names) and
 * the lines to keep. Stops at the first empty line; `lines` are the header's lines only.
 */
export function extractState(lines: Uint8Array[]): { keep: Uint8Array[]; fields: Map<string, string> } {
  const keep: Uint8Array[] = [];
  const fields = new Map<string, string>();
  let current: string | null = null;
  for (const l of lines) {
    const folded = l.length > 0 && (l[0] === 0x20 || l[0] === 0x09);
    if (folded && current !== null) {
      if (MBOX_STATE_FIELDS.includes(current)) {
        fields.set(current, `${fields.get(current) ?? ""} ${decoder.decode(l).trim()}`);
        continue;
      }
      keep.push(l);
      continue;
    }
    const text = decoder.decode(l.subarray(0, Math.min(l.length, 200)));
    const colon = text.indexOf(":");
    current = colon > 0 ? text.slice(0, colon).trim().toLowerCase() : null;
    if (current !== null && (MBOX_STATE_FIELDS.includes(current) || current === "x-mozilla-status")) {
      const value = decoder.decode(l).slice(colon + 1).trim();
      fields.set(current, value);
      if (MBOX_STATE_FIELDS.includes(current)) continue;
    }
    keep.push(l);
  }
  return { keep, fields };
}
