/**
 * A client of rspamd's HTTP protocol (`POST /checkv2`, the message as the body, the envelope in
 * request headers: IP, Helo, From, Rcpt, Queue-Id; https://rspamd.com/doc/developers/protocol.html).
 * The answer's `score`, `required_score`, `action` and symbol names are what the spam stage uses.
 * Bounded: a timeout, and at most `MAX_RESPONSE` bytes of JSON read.
 *
 * @module
 */
import { readAtMost } from "../net/bounded_body.ts";

/** Most bytes of rspamd's answer read. */
export const MAX_RESPONSE = 1024 * 1024;

/** The envelope told to rspamd. */
export interface RspamdEnvelope {
  ip?: string;
  helo?: string;
  from: string | null;
  rcpt: readonly string[];
  queueId: string;
}

/** rspamd's verdict. */
export interface RspamdVerdict {
  score: number;
  requiredScore: number;
  /** "no action", "greylist", "add header", "rewrite subject", "soft reject", "reject". */
  action: string;
  symbols: string[];
}

/** Asks rspamd about a message; throws on a transport error, a timeout or an answer without a score. */
export async function rspamdCheck(
  baseUrl: string,
  message: Uint8Array,
  env: RspamdEnvelope,
  timeoutMs: number,
): Promise<RspamdVerdict> {
  const headers = new Headers({ "content-type": "message/rfc822", "queue-id": env.queueId });
  if (env.ip) headers.set("ip", env.ip);
  if (env.helo) headers.set("helo", env.helo);
  // rspamd takes `<>` for the null reverse-path.
  headers.set("from", env.from ?? "<>");
  for (const r of env.rcpt) headers.append("rcpt", r);
  const res = await fetch(new URL("/checkv2", baseUrl), {
    method: "POST",
    headers,
    body: new Uint8Array(message),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await boundedText(res);
  if (!res.ok) throw new Error(`rspamd answered ${res.status}`);
  const json: unknown = JSON.parse(text);
  return parseVerdict(json);
}

/** rspamd's JSON answer as a verdict; throws when it has no numeric score. */
export function parseVerdict(json: unknown): RspamdVerdict {
  if (typeof json !== "object" || json === null) throw new Error("rspamd answer is not an object");
  const o = json as Record<string, unknown>;
  if (typeof o.score !== "number" || !Number.isFinite(o.score)) throw new Error("rspamd answer has no score");
  const symbols = typeof o.symbols === "object" && o.symbols !== null ? Object.keys(o.symbols) : [];
  return {
    score: o.score,
    requiredScore: typeof o.required_score === "number" ? o.required_score : 15,
    action: typeof o.action === "string" ? o.action : "no action",
    symbols,
  };
}

async function boundedText(res: Response): Promise<string> {
  const body = await readAtMost(res.body, MAX_RESPONSE);
  if (body === null) throw new Error("rspamd answer too large");
  return new TextDecoder().decode(body);
}
