/**
 * SMTP replies as the client sees them (RFC 5321 §4.2): one or more lines `ddd-text` ending with
 * `ddd text`, and the EHLO keyword list (§4.1.1.1). Pure functions, plus one reader that collects a
 * reply line by line with bounds.
 *
 * @module
 */
import type { ByteReader } from "../net/reader.ts";

/** A complete reply. */
export interface ClientReply {
  code: number;
  /** Text of every line, without the code. */
  lines: string[];
}

/** The reply was not RFC 5321 reply syntax, or too long. */
export class ReplySyntaxError extends Error {
  override name = "ReplySyntaxError";
}

const MAX_LINE = 4096;
const MAX_LINES = 200;
const decoder = new TextDecoder();

/** Parses one reply line: code, continuation flag and text. */
export function parseReplyLine(line: string): { code: number; more: boolean; text: string } {
  // RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
  const m = /^([2-5][0-9][0-9])([ -]?)(.*)$/s.exec(line);
  if (!m) throw new ReplySyntaxError(`Invalid SMTP reply line: "${line.slice(0, 100)}"`);
  return { code: Number(m[1]), more: m[2] === "-", text: m[3]! };
}

/** Reads one whole reply; null at end of stream before any line. */
export async function readReply(reader: ByteReader): Promise<ClientReply | null> {
  const lines: string[] = [];
  let code = 0;
  for (;;) {
    const r = await reader.readLine(MAX_LINE);
    if (r === null) {
      if (lines.length === 0) return null;
      throw new ReplySyntaxError("Connection closed in the middle of a reply");
    }
    const p = parseReplyLine(decoder.decode(r.line));
    if (lines.length > 0 && p.code !== code) throw new ReplySyntaxError("Reply code changed within a reply");
    code = p.code;
    lines.push(p.text);
    if (lines.length > MAX_LINES) throw new ReplySyntaxError("Reply has too many lines");
    if (!p.more) return { code, lines };
  }
}

/** The reply as one line for logs and DSNs: `550 5.1.1 No such user`. */
export function formatReply(r: ClientReply): string {
  return `${r.code} ${r.lines.join(" ").trim()}`.trim();
}

/** EHLO keywords (upper case) and their parameters, from the lines after the greeting line. */
export function parseEhlo(r: ClientReply): Map<string, string> {
  const ext = new Map<string, string>();
  for (const line of r.lines.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/.exec(line.trim());
    if (m) ext.set(m[1]!.toUpperCase(), (m[2] ?? "").trim());
  }
  return ext;
}
