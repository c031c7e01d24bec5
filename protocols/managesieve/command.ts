/**
 * ManageSieve command reading and reply formatting (RFC 5804 §4 grammar): a command is an atom
 * followed by strings (quoted, or literals `{n+}` / `{n}` with n octets after the CRLF) and
 * numbers, ended by CRLF. Reading is bounded: the line parts by `MAX_LINE`, each literal by the
 * caller's limit (a too-large literal is skipped, so the session can answer and go on).
 *
 * @module
 */
import type { ByteReader } from "../../core/net/reader.ts";

/** Longest command line (without literals). */
export const MAX_LINE = 8 * 1024;
/** Most arguments per command. */
const MAX_ARGS = 8;

/** An argument: a string (quoted or literal) or a number. */
export type Arg = { kind: "string"; value: string } | { kind: "number"; value: number };

/** A parsed command, or why it could not be parsed. */
export type ReadResult =
  | { ok: true; verb: string; args: Arg[] }
  | { ok: false; error: string }
  | { ok: false; error: string; tooBig: true }
  | null;

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads one command from the client. Null at end of input.
 *
 * @param reader the connection's reader
 * @param maxLiteral largest literal accepted (a larger one is read and dropped, `tooBig`)
 */
export async function readCommand(reader: ByteReader, maxLiteral: number): Promise<ReadResult> {
  const args: Arg[] = [];
  let verb: string | null = null;
  let error: string | null = null;
  let tooBig = false;
  for (;;) {
    const got = await reader.readLine(MAX_LINE);
    if (got === null) return null;
    if (got.tooLong) return { ok: false, error: "Line too long" };
    let text: string;
    try {
      text = decoder.decode(got.line);
    } catch {
      return { ok: false, error: "Invalid UTF-8" };
    }
    let i = 0;
    if (verb === null) {
      const m = /^([A-Za-z]+)/.exec(text);
      if (!m) return { ok: false, error: "Expected a command" };
      verb = m[1]!.toUpperCase();
      i = m[1]!.length;
    }
    // Arguments on this line; a literal ends the line and continues after its octets.
    let literal: number | null = null;
    while (i < text.length && error === null) {
      if (text[i] !== " ") {
        error = "Expected a space between arguments";
        break;
      }
      i++;
      if (args.length >= MAX_ARGS) {
        error = "Too many arguments";
        break;
      }
      const c = text[i];
      if (c === '"') {
        let v = "";
        let k = i + 1;
        let closed = false;
        while (k < text.length) {
          const ch = text[k]!;
          if (ch === "\\" && (text[k + 1] === '"' || text[k + 1] === "\\")) {
            v += text[k + 1];
            k += 2;
          } else if (ch === '"') {
            closed = true;
            k++;
            break;
          } else {
            v += ch;
            k++;
          }
        }
        if (!closed) error = "Unterminated string";
        args.push({ kind: "string", value: v });
        i = k;
      } else if (c === "{") {
        // RFC 5804 §4: literal-c2s "{" number "+}" CRLF; "{n}" accepted too.
        const m = /^\{([0-9]{1,10})\+?\}$/.exec(text.slice(i));
        if (!m) {
          error = "Bad literal";
          break;
        }
        literal = Number(m[1]);
        i = text.length;
      } else if (c !== undefined && c >= "0" && c <= "9") {
        const m = /^[0-9]{1,15}/.exec(text.slice(i))!;
        args.push({ kind: "number", value: Number(m[0]) });
        i += m[0].length;
      } else {
        error = "Bad argument";
      }
    }
    if (literal === null) {
      if (error !== null) return tooBig ? { ok: false, error, tooBig: true } : { ok: false, error };
      return { ok: true, verb, args };
    }
    if (literal > maxLiteral) {
      // Read and drop it in pieces: the session stays in step with the client.
      let left = literal;
      while (left > 0) {
        const chunk = await reader.readExact(Math.min(left, 64 * 1024));
        if (chunk === null) return null;
        left -= chunk.length;
      }
      tooBig = true;
      error ??= "Literal too big";
      continue;
    }
    const bytes = await reader.readExact(literal);
    if (bytes === null) return null;
    try {
      args.push({ kind: "string", value: decoder.decode(bytes) });
    } catch {
      error ??= "Invalid UTF-8 in a literal";
    }
  }
}

/** RFC 5804 §4 quoted string (`\"` and `\\` escaped; when short and without CR, LF, NUL), else a literal. */
export function formatString(s: string): string {
  if (s.length <= 1024 && !s.includes("\r") && !s.includes("\n") && !s.includes("\u0000")) {
    return `"${s.replace(/["\\]/g, (c) => "\\" + c)}"`;
  }
  const bytes = new TextEncoder().encode(s).length;
  return `{${bytes}}\r\n${s}`;
}

/** RFC 5804 §1.3 response: `OK`/`NO`/`BYE`, optional response code, optional human text. */
export function response(kind: "OK" | "NO" | "BYE", text?: string, code?: string): string {
  return `${kind}${code ? ` (${code})` : ""}${text !== undefined ? ` ${formatString(text)}` : ""}\r\n`;
}
