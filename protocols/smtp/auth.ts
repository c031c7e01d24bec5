/**
 * The AUTH exchange (RFC 4954 §4) over the session: base64 challenges in `334` replies, `*` to
 * cancel, `=` for an empty initial response, and server-final data (SCRAM-SHA-256's server
 * signature, RFC 7677 / RFC 5802 §5) sent as a last `334` that the client answers with an empty
 * line before `235`. Mechanisms themselves live in core/auth.
 *
 * @module
 */
import type { Account } from "../../core/store/types.ts";
import type { ConnectionContext } from "../../core/context.ts";
import { Code, Replies, reply, type SmtpReply } from "./codes.ts";

/** What an AUTH exchange needs of the SMTP session (a structural view, so auth.ts need not import session.ts). */
export interface AuthSession {
  readonly conn: ConnectionContext;
  send(r: SmtpReply): void;
  readAuthLine(): Promise<{ line: Uint8Array; tooLong: boolean } | null>;
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Strict base64 decoding; null when malformed. */
export function fromBase64(text: string): Uint8Array | null {
  if (!B64_RE.test(text)) return null;
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const decoder = new TextDecoder();

/**
 * Runs one SASL exchange. Sends every reply except the final `235` (the caller sends it after
 * recording the user). Returns the account on success, null otherwise.
 */
export async function runAuth(
  s: AuthSession,
  mechanism: string,
  initial: string | null,
): Promise<Account | null> {
  const ctx = {
    remoteAddress: s.conn.transport.remoteAddress,
    protocol: s.conn.session.protocol,
    secure: s.conn.transport.secure,
  };
  const auth = s.conn.server.auth;
  const exchange = auth.mechanisms().includes(mechanism) ? auth.startSasl(mechanism, ctx) : null;
  if (!exchange) {
    s.send(Replies.unknownMechanism());
    return null;
  }
  let response: Uint8Array | null = null;
  if (initial !== null) {
    // RFC 4954 §4: "=" is an empty initial response.
    response = initial === "=" ? new Uint8Array(0) : fromBase64(initial);
    if (response === null) {
      s.send(Replies.badBase64());
      return null;
    }
  }
  for (;;) {
    const step = await exchange.step(response);
    if (step.done) {
      const result = step.result;
      if (!result.ok) {
        s.conn.log.warn("authentication failed", { mechanism, reason: result.reason });
        s.send(result.reason === "throttled" ? Replies.authThrottled() : Replies.authFailed());
        return null;
      }
      if (step.serverFinal !== undefined && step.serverFinal.length > 0) {
        // Additional data with success goes in a 334; the client answers with an empty line.
        s.send(reply(Code.AuthContinue, undefined, toBase64(step.serverFinal)));
        const line = await readResponse(s);
        if (line === null) return null;
        if (line === "*") {
          s.send(Replies.authCancelled());
          return null;
        }
      }
      s.conn.log.info("authenticated", { mechanism, username: result.account.address });
      return result.account;
    }
    s.send(reply(Code.AuthContinue, undefined, toBase64(step.challenge)));
    const line = await readResponse(s);
    if (line === null) return null;
    if (line === "*") {
      // RFC 4954 §4: the client cancelled.
      s.send(Replies.authCancelled());
      return null;
    }
    response = fromBase64(line);
    if (response === null) {
      s.send(Replies.badBase64());
      return null;
    }
  }
}

/** Reads one response line; sends the error and returns null when it is unusable. */
async function readResponse(s: AuthSession): Promise<string | null> {
  const r = await s.readAuthLine();
  if (r === null) return null;
  if (r.tooLong) {
    // RFC 4954 §6: 500 5.5.6 Authentication Exchange line is too long.
    s.send(reply(Code.SyntaxError, "5.5.6", "Authentication exchange line is too long"));
    return null;
  }
  return decoder.decode(r.line).trim();
}
