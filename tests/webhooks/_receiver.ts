/**
 * A loopback webhook receiver for tests: records every request, checks its Standard Webhooks
 * signature with node:crypto (independently of core/webhooks/signature.ts), and answers as the test
 * says (e.g. 500 for the first N requests, or never). Tests wait for the Nth request with
 * `waitFor(n)` instead of sleeping.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";

/** One request as received. */
export interface ReceivedRequest {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
  /** The signature verified against the secret. */
  verified: boolean;
  headers: Headers;
}

/** How the receiver answers request number `n` (0-based). */
export type Answer = (n: number, req: ReceivedRequest) => Response | Promise<Response>;

/** Verifies a Standard Webhooks signature the way a receiver would, with node:crypto. */
export function verifyWithNodeCrypto(
  secret: string,
  id: string,
  ts: string,
  body: string,
  header: string,
): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest();
  return header.split(" ").some((part) => {
    const [v, sig] = part.split(",");
    if (v !== "v1" || !sig) return false;
    const given = Buffer.from(sig, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** A running receiver. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  answer: Answer;
  secret = "";
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #waiters: { n: number; resolve: () => void }[] = [];

  /** @param answer how to answer (default 200) */
  constructor(answer: Answer = () => new Response("ok")) {
    this.answer = answer;
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const body = await req.text();
      const r: ReceivedRequest = {
        id: req.headers.get("webhook-id") ?? "",
        timestamp: req.headers.get("webhook-timestamp") ?? "",
        signature: req.headers.get("webhook-signature") ?? "",
        body,
        json: JSON.parse(body),
        verified: false,
        headers: req.headers,
      };
      r.verified = this.secret !== "" &&
        verifyWithNodeCrypto(this.secret, r.id, r.timestamp, body, r.signature);
      const n = this.requests.length;
      this.requests.push(r);
      const answer = this.answer(n, r);
      for (const w of this.#waiters.filter((w) => this.requests.length >= w.n)) w.resolve();
      this.#waiters = this.#waiters.filter((w) => this.requests.length < w.n);
      return await answer;
    });
  }

  /** The receiver's URL. */
  url(path = "/hook"): string {
    return `http://127.0.0.1:${this.#server.addr.port}${path}`;
  }

  /** Resolves once `n` requests have arrived. */
  waitFor(n: number): Promise<ReceivedRequest[]> {
    if (this.requests.length >= n) return Promise.resolve(this.requests);
    return new Promise((resolve) => this.#waiters.push({ n, resolve: () => resolve(this.requests) }));
  }

  /** Stops the server. */
  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}
