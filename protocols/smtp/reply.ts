/**
 * The SMTP reply formatter (RFC 5321 §4.2): pure, no I/O.
 *
 * @module
 */
import type { SmtpReply } from "./codes.ts";

/**
 * Formats a reply as wire text. Every line but the last uses `code-`, the last `code SP`
 * (RFC 5321 §4.2.1). With `enhanced` true every line carries the enhanced status code
 * (RFC 2034 §3). CR and LF inside texts are replaced by spaces so a text can never inject a line.
 *
 * @example
 * ```ts
 * import { formatReply } from "./reply.ts";
 * formatReply({ code: 250, enhanced: "2.0.0", lines: ["Ok"] }, true); // "250 2.0.0 Ok\r\n"
 * ```
 */
export function formatReply(r: SmtpReply, enhanced: boolean): string {
  const lines = r.lines.length === 0 ? [""] : r.lines;
  const prefix = enhanced && r.enhanced !== undefined ? `${r.enhanced} ` : "";
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    const sep = i === lines.length - 1 ? " " : "-";
    const text = `${prefix}${lines[i]!.replace(/[\r\n]/g, " ")}`;
    // RFC 4954 §4 continue-req is "334" SP [base64]: the SP stays even when the text is empty.
    out += `${r.code}${sep}${text}\r\n`;
  }
  return out;
}
