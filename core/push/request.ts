/**
 * Builds the HTTP request that delivers one JMAP push message (RFC 8620 §7.2): the JSON object
 * (a StateChange or a PushVerification) encrypted per RFC 8291 with the `aes128gcm` content coding
 * (RFC 8188) when the subscription has `keys`, else sent as JSON; VAPID-signed (RFC 8292) when the
 * server has a key; `TTL` and `Urgency` as RFC 8030 §5.2–§5.3 define them. Encryption and signing
 * are the `web-push` library's.
 *
 * @module
 */
import webpush from "web-push";
import type { PushKeys } from "../store/records/push_subscriptions.ts";
import type { VapidKeys } from "./vapid.ts";

/** RFC 8030 §5.3 urgency. */
export type Urgency = "very-low" | "low" | "normal" | "high";

/** What to send where. */
export interface PushMessage {
  url: string;
  keys: PushKeys | null;
  /** The JSON object to deliver. */
  payload: Record<string, unknown>;
  /** Seconds the push service may keep the message (RFC 8030 §5.2). */
  ttl: number;
  urgency: Urgency;
}

/** A ready request: method POST, headers and body. */
export interface PushRequest {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Thrown when the subscription's keys cannot be used (bad point or secret). */
export class PushKeyError extends Error {
  override name = "PushKeyError";
}

/** Builds the request for one push message. */
export function buildPushRequest(message: PushMessage, vapid: VapidKeys | null): PushRequest {
  const json = JSON.stringify(message.payload);
  if (message.keys !== null) {
    let details: webpush.RequestDetails;
    try {
      details = webpush.generateRequestDetails(
        { endpoint: message.url, keys: message.keys },
        json,
        {
          TTL: message.ttl,
          urgency: message.urgency,
          contentEncoding: "aes128gcm", // RFC 8291 §4: aes128gcm (RFC 8188)
          ...(vapid ? { vapidDetails: vapid } : {}),
        },
      );
    } catch (error) {
      throw new PushKeyError((error as Error).message);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(details.headers)) {
      if (k.toLowerCase() !== "content-length") headers[k] = String(v);
    }
    const body = details.body === null ? new Uint8Array(0) : new Uint8Array(details.body);
    return { url: message.url, method: "POST", headers, body };
  }
  // RFC 8620 §7.2: without keys the object is POSTed as JSON, unencrypted.
  const headers: Record<string, string> = {
    "Content-Type": "application/json; charset=utf-8",
    TTL: String(message.ttl),
    Urgency: message.urgency,
  };
  if (vapid) {
    // RFC 8292 §2: the JWT audience is the origin of the push resource.
    const vapidHeaders = webpush.getVapidHeaders(
      new URL(message.url).origin,
      vapid.subject,
      vapid.publicKey,
      vapid.privateKey,
      "aes128gcm",
    );
    headers.Authorization = String(vapidHeaders.Authorization);
  }
  return { url: message.url, method: "POST", headers, body: new TextEncoder().encode(json) };
}
