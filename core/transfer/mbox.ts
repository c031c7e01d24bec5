/**
 * mbox (RFC 4155, the "mboxrd" quoting): reading a stream of messages with constant memory, and
 * writing one. Each message starts with a `From ` separator line after a blank line; body lines
 * that begin with `>*From ` are quoted with one more `>` (mboxrd), and the reader removes it.
 * Message state comes from `Status`/`X-Status`/`X-Keywords` (flags.ts); the internal date from the
 * separator line's asctime date (UTC).
 *
 * @module
 */
import { extractState, flagsFromState, MBOX_STATE_FIELDS, stateHeaders } from "./flags.ts";
import { joinCrlf, readLines } from "./lines.ts";
import { MAX_IMPORT_LINE, type SkippedItem, type TransferItem } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FROM_ = encoder.encode("From ");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function startsWith(line: Uint8Array, prefix: Uint8Array, at = 0): boolean {
  if (line.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (line[at + i] !== prefix[i]) return false;
  return true;
}

/** True for `>From `, `>>From ` …: a quoted separator (mboxrd). */
function isQuotedFrom(line: Uint8Array): boolean {
  let i = 0;
  while (i < line.length && line[i] === 0x3e) i++;
  return i > 0 && startsWith(line, FROM_, i);
}

/** The date of a separator line, `From sender Sat Jan  3 01:05:34 1996` (asctime, read as UTC). */
export function separatorDate(line: string): Date | undefined {
  const m = /^From \S*\s+\w{3} (\w{3})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?: \S+)? (\d{4})/.exec(line);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return undefined;
  const d = new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The separator line for a message: `From sender asctime-date`. */
export function separatorLine(sender: string, date: Date): string {
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][date.getUTCDay()];
  const p = (n: number) => String(n).padStart(2, "0");
  const who = /^[\x21-\x7e]+$/.test(sender) ? sender : "MAILER-DAEMON";
  return `From ${who} ${day} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, " ")} ` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

/**
 * The messages of an mbox stream, in order, each at most `maxMessage` bytes (larger ones are
 * skipped through `onSkip` without being held in memory).
 */
export async function* readMbox(
  stream: ReadableStream<Uint8Array>,
  opts: {
    folder: string[];
    maxMessage: number;
    onBytes?: (n: number) => void;
    onSkip?: (s: SkippedItem) => void;
  },
): AsyncGenerator<TransferItem> {
  let lines: Uint8Array[] = [];
  let size = 0;
  let date: Date | undefined;
  let inMessage = false;
  let tooBig = false;
  let previousEmpty = true;
  const finish = (): TransferItem | null => {
    if (!inMessage) return null;
    if (tooBig) {
      opts.onSkip?.({ folder: opts.folder, reason: `message larger than ${opts.maxMessage} bytes` });
      return null;
    }
    // RFC 4155 §2: the blank line before the next separator belongs to the mbox, not the message.
    if (lines.length > 0 && lines[lines.length - 1]!.length === 0) lines.pop();
    const blank = lines.findIndex((l) => l.length === 0);
    const head = blank === -1 ? lines : lines.slice(0, blank);
    const body = blank === -1 ? [] : lines.slice(blank);
    const { keep, fields } = extractState(head);
    const raw = joinCrlf([...keep, ...body]);
    return { folder: opts.folder, raw, flags: flagsFromState(fields), internalDate: date };
  };
  for await (const { bytes: line, truncated } of readLines(stream, MAX_IMPORT_LINE, opts.onBytes)) {
    if (previousEmpty && startsWith(line, FROM_)) {
      const item = finish();
      if (item) yield item;
      lines = [];
      size = 0;
      tooBig = false;
      inMessage = true;
      date = separatorDate(decoder.decode(line.subarray(0, 200)));
      previousEmpty = false;
      continue;
    }
    previousEmpty = line.length === 0;
    if (!inMessage || tooBig) continue;
    // mboxrd: one level of ">" quoting comes off.
    const content = isQuotedFrom(line) ? line.subarray(1) : line;
    size += content.length + 2;
    // A line cut at MAX_IMPORT_LINE would store a damaged message: skip it whole instead.
    if (size > opts.maxMessage || truncated) {
      tooBig = true;
      lines = [];
      continue;
    }
    lines.push(content);
  }
  const last = finish();
  if (last) yield last;
}

/**
 * One message in mbox form (LF line endings, mboxrd quoting), state headers in place of any the
 * message had, ending with the blank separator line.
 */
export function formatMboxMessage(
  raw: Uint8Array,
  opts: { sender: string; date: Date; flags: string[] },
): Uint8Array {
  // Byte-preserving: every byte is one code unit, so 8-bit bodies in any charset come back unchanged.
  const text = binaryString(raw);
  const all = text.split(/\r?\n/);
  if (all.length > 0 && all[all.length - 1] === "") all.pop();
  const blank = all.indexOf("");
  const head = blank === -1 ? all : all.slice(0, blank);
  const body = blank === -1 ? [] : all.slice(blank);
  const keptHead = [];
  let dropping = false;
  for (const l of head) {
    if (/^[ \t]/.test(l)) {
      if (!dropping) keptHead.push(l);
      continue;
    }
    const name = l.slice(0, Math.max(0, l.indexOf(":"))).trim().toLowerCase();
    dropping = MBOX_STATE_FIELDS.includes(name);
    if (!dropping) keptHead.push(l);
  }
  const quoted = [...keptHead, ...stateHeaders(opts.flags), ...(body.length ? body : [""])]
    .map((l) => /^>*From /.test(l) ? `>${l}` : l);
  return binaryBytes(`${separatorLine(opts.sender, opts.date)}\n${quoted.join("\n")}\n\n`);
}

/** Bytes as a string of code units 0–255. */
export function binaryString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** The inverse of `binaryString` (code units above 255 cannot occur). */
export function binaryBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
