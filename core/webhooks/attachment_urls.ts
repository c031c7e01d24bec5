/**
 * Signed, expiring attachment download URLs for webhook payloads, and the HTTP handler that serves
 * them on the HTTP listener (`GET /webhooks/attachments/<account>/<email>/<part>?expires=…&sig=…`).
 * The signature is HMAC-SHA256 under a server key kept in `<data_dir>/webhook_url.key` (created on
 * first use, mode 0600), over the path and the expiry, so a URL grants exactly one part of one
 * message until it expires and can be neither altered nor extended.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Store } from "../store/store.ts";
import { parseMime } from "../mime/parse.ts";
import { findSection } from "../mime/section.ts";
import { decodedBody } from "../mime/body.ts";
import { partName } from "../mime/body_parts.ts";

/** The path prefix the HTTP app routes here. */
export const ATTACHMENT_PATH = "/webhooks/attachments";

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Loads the URL-signing key from `<dataDir>/webhook_url.key`, creating it when missing. */
export async function loadUrlKey(dataDir: string): Promise<Uint8Array> {
  const path = `${dataDir}/webhook_url.key`;
  try {
    const key = await Deno.readFile(path);
    if (key.length >= 32) return key;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  await Deno.writeFile(path, key, { mode: 0o600 });
  return key;
}

/** Signs and checks attachment URLs. */
export class AttachmentUrls {
  readonly #key: Uint8Array;
  readonly #base: string;
  readonly #ttlMs: number;

  /** @param key signing key bytes; @param baseUrl public base of the HTTP listener; @param ttlMs validity */
  constructor(key: Uint8Array, baseUrl: string, ttlMs: number) {
    this.#key = key;
    this.#base = baseUrl.replace(/\/+$/, "");
    this.#ttlMs = ttlMs;
  }

  #mac(accountId: string, emailId: string, partId: string, expires: number): Uint8Array {
    return new Uint8Array(
      createHmac("sha256", this.#key).update(`${accountId}/${emailId}/${partId}/${expires}`).digest(),
    );
  }

  /** A URL for one part, valid for the configured time from `now`. */
  url(accountId: string, emailId: string, partId: string, now: Date): string {
    const expires = Math.floor((now.getTime() + this.#ttlMs) / 1000);
    const path = [accountId, emailId, partId].map(encodeURIComponent).join("/");
    return `${this.#base}${ATTACHMENT_PATH}/${path}?expires=${expires}&sig=${
      b64url(this.#mac(accountId, emailId, partId, expires))
    }`;
  }

  /** True when `sig` signs this part and expiry, and the expiry is not past at `now`. */
  check(
    accountId: string,
    emailId: string,
    partId: string,
    expires: string,
    sig: string,
    now: Date,
  ): boolean {
    if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 < now.getTime()) return false;
    if (!/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
    const given = Uint8Array.from(
      atob(sig.replaceAll("-", "+").replaceAll("_", "/") + "="),
      (c) => c.charCodeAt(0),
    );
    return timingSafeEqual(given, this.#mac(accountId, emailId, partId, Number(expires)));
  }

  /**
   * Answers a download request (`url` is the request URL): the decoded part with its type and file
   * name, 403 for a bad or expired signature, 404 when the message or part is gone.
   */
  async serve(store: Store, url: URL, now: Date): Promise<Response> {
    const rest = url.pathname.slice(ATTACHMENT_PATH.length + 1).split("/");
    if (rest.length !== 3) return new Response("Not found\n", { status: 404 });
    let accountId: string, emailId: string, partId: string;
    try {
      [accountId, emailId, partId] = rest.map(decodeURIComponent) as [string, string, string];
    } catch {
      return new Response("Not found\n", { status: 404 });
    }
    const ok = this.check(
      accountId,
      emailId,
      partId,
      url.searchParams.get("expires") ?? "",
      url.searchParams.get("sig") ?? "",
      now,
    );
    if (!ok) return new Response("Forbidden\n", { status: 403 });
    const raw = await store.readMessage(accountId, emailId);
    if (!raw) return new Response("Not found\n", { status: 404 });
    const part = findSection(parseMime(raw), partId);
    if (!part || part.type === "multipart") return new Response("Not found\n", { status: 404 });
    const name = partName(part);
    const headers: Record<string, string> = {
      "content-type": `${part.type}/${part.subtype}`,
      "cache-control": "private, max-age=3600",
      "x-content-type-options": "nosniff",
      // Never rendered inline in the server's origin.
      "content-disposition": name ? `attachment; filename*=UTF-8''${encodeURIComponent(name)}` : "attachment",
    };
    return new Response(decodedBody(raw, part) as BodyInit, { status: 200, headers });
  }
}
