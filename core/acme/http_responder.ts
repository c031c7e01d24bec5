/**
 * The plain-HTTP responder ACME's HTTP-01 needs (RFC 8555 §8.3: the CA fetches
 * `http://NAME/.well-known/acme-challenge/TOKEN` on port 80): answers pending challenges and
 * redirects every other GET/HEAD to the same URL over HTTPS (301), so port 80 serves no content.
 * Bounded: short header and request timeouts, a small connection cap, no request bodies read.
 *
 * @module
 */
import http from "node:http";
import { Buffer } from "node:buffer";
import type { AcmeChallenges } from "./challenges.ts";
import type { Logger } from "../log/logger.ts";

/** Most connections open at once (the CA opens a few; anything more is not a CA). */
export const MAX_RESPONDER_CONNECTIONS = 64;
const PREFIX = "/.well-known/acme-challenge/";

/** The response to one request line, as a pure function (tested without a socket). */
export function respond(
  challenges: AcmeChallenges,
  method: string,
  url: string,
  host: string | undefined,
  httpsPort = 443,
): { status: number; headers: Record<string, string>; body: string } {
  if (method !== "GET" && method !== "HEAD") {
    return {
      status: 405,
      headers: { allow: "GET, HEAD", "content-type": "text/plain" },
      body: "Method not allowed\n",
    };
  }
  if (url.startsWith(PREFIX)) {
    const answer = challenges.httpResponse(url.slice(PREFIX.length));
    return answer
      ? { status: 200, headers: { "content-type": "application/octet-stream" }, body: answer }
      : { status: 404, headers: { "content-type": "text/plain" }, body: "No such challenge\n" };
  }
  const name = (host ?? "").replace(/:\d+$/, "");
  if (!/^[A-Za-z0-9.-]+$/.test(name) || !url.startsWith("/")) {
    return { status: 400, headers: { "content-type": "text/plain" }, body: "Bad request\n" };
  }
  const port = httpsPort === 443 ? "" : `:${httpsPort}`;
  return {
    status: 301,
    headers: { location: `https://${name}${port}${url}`, "content-type": "text/plain" },
    body: "",
  };
}

/** A running responder. */
export interface HttpResponder {
  port: number;
  close(): Promise<void>;
}

/** Listens on `address:port` and answers with `respond`. */
export function startHttpResponder(
  challenges: AcmeChallenges,
  opts: { address: string; port: number; httpsPort?: number; log: Logger },
): Promise<HttpResponder> {
  const server = http.createServer((req, res) => {
    const r = respond(challenges, req.method ?? "", req.url ?? "", req.headers.host, opts.httpsPort);
    if (r.status === 200) opts.log.info("answered an ACME HTTP-01 challenge", { path: req.url ?? "" });
    res.writeHead(r.status, {
      ...r.headers,
      "content-length": String(Buffer.byteLength(r.body)),
      connection: "close",
    });
    res.end(req.method === "HEAD" ? undefined : r.body);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.maxConnections = MAX_RESPONDER_CONNECTIONS;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.address, () => {
      const addr = server.address();
      resolve({
        port: typeof addr === "object" && addr ? addr.port : opts.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
