/**
 * PushSubscription/get and /set (RFC 8620 §7.2): URLs the server POSTs StateChange objects to.
 * Subscriptions belong to the credentials (here the account) that made them, take no `accountId`
 * and have no state. A new subscription is sent a PushVerification object and receives nothing else
 * until the client sets `verificationCode` to the code it carried (§7.2.2). Delivery is
 * core/push/dispatcher.ts's.
 *
 * @module
 */
import { auditSetResult } from "../../../core/audit/settings_audit.ts";
import { Buffer } from "node:buffer";
import { invalidProperties, MethodError, SetErrorException } from "../errors.ts";
import { getIds, getProperties, type MethodHandler, pick } from "../method_context.ts";
import { runSet } from "../set.ts";
import { PUSH_TYPE_NAMES } from "../../../core/push/dispatcher.ts";
import type {
  PushKeys,
  PushSubscriptionPatch,
  PushSubscriptionRecord,
} from "../../../core/store/records/push_subscriptions.ts";

/** Properties /get returns by default; `url` and `keys` are never returned (RFC 8620 §7.2.1). */
const DEFAULT_PROPERTIES = ["id", "deviceClientId", "verificationCode", "expires", "types"];
const PRIVATE_PROPERTIES = new Set(["url", "keys"]);
const KNOWN = new Set([...DEFAULT_PROPERTIES, ...PRIVATE_PROPERTIES]);
/** Most subscriptions an account may have. */
export const MAX_PUSH_SUBSCRIPTIONS = 50;
/** Longest life of a subscription: the server may shorten `expires` (RFC 8620 §7.2). */
export const MAX_PUSH_EXPIRY_MS = 7 * 86_400_000;
const MAX_URL = 2048;
const MAX_DEVICE_CLIENT_ID = 255;

function utcDate(d: Date): string {
  // RFC 8620 §1.4 UTCDate: "Z" and no fractional seconds.
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function toJmap(s: PushSubscriptionRecord): Record<string, unknown> {
  return {
    id: s.id,
    deviceClientId: s.deviceClientId,
    verificationCode: s.verificationCode,
    expires: s.expires === null ? null : utcDate(s.expires),
    types: s.types,
  };
}

/** PushSubscription/get (RFC 8620 §7.2.1): no accountId, no state, never `url` or `keys`. */
export const pushSubscriptionGet: MethodHandler = async (args, ctx) => {
  const props = getProperties(args, KNOWN) ?? DEFAULT_PROPERTIES;
  // RFC 8620 §7.2.1: asking for url or keys explicitly is rejected with "forbidden".
  const asked = props.find((p) => PRIVATE_PROPERTIES.has(p));
  if (asked !== undefined) {
    throw new MethodError("forbidden", `"${asked}" of a push subscription is never returned.`);
  }
  const ids = getIds(args, ctx);
  const store = ctx.services.server.store.pushSubscriptions;
  const now = ctx.services.server.clock.now();
  const all = (await store.list(ctx.account.id)).filter((s) => s.expires === null || s.expires >= now);
  const byId = new Map(all.map((s) => [s.id, s]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? all.map((s) => s.id)) {
    const s = byId.get(id);
    if (s) list.push(pick(toJmap(s), props));
    else notFound.push(id);
  }
  return { list, notFound };
};

function decodeB64url(v: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(v)) return null;
  return new Uint8Array(Buffer.from(v, "base64url"));
}

/** RFC 8620 §7.2 keys: a P-256 public key (RFC 8291 §3.1, uncompressed) and a 16-byte secret. */
function parseKeys(v: unknown): PushKeys | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw invalidProperties(["keys"]);
  const { p256dh, auth, ...rest } = v as Record<string, unknown>;
  if (typeof p256dh !== "string" || typeof auth !== "string" || Object.keys(rest).length > 0) {
    throw invalidProperties(["keys"]);
  }
  const point = decodeB64url(p256dh);
  const secret = decodeB64url(auth);
  if (point === null || point.length !== 65 || point[0] !== 0x04 || secret === null || secret.length !== 16) {
    throw invalidProperties(
      ["keys"],
      "keys.p256dh must be an uncompressed P-256 point and keys.auth 16 bytes.",
    );
  }
  return { p256dh, auth };
}

function parseTypes(v: unknown): string[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v) || !v.every((t) => typeof t === "string" && PUSH_TYPE_NAMES.includes(t))) {
    throw invalidProperties(["types"], `types must be null or a list of ${PUSH_TYPE_NAMES.join(", ")}.`);
  }
  return [...new Set(v as string[])];
}

/** The expiry to keep: the client's, moved to the server's maximum when later or absent. */
function clampExpires(v: unknown, now: Date): Date {
  const max = new Date(now.getTime() + MAX_PUSH_EXPIRY_MS);
  if (v === null || v === undefined) return max;
  // RFC 8620 §1.4 UTCDate.
  if (
    typeof v !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v) ||
    Number.isNaN(Date.parse(v))
  ) {
    throw invalidProperties(["expires"]);
  }
  const d = new Date(v);
  if (d.getTime() <= now.getTime()) throw invalidProperties(["expires"], "expires is in the past.");
  return d > max ? max : new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function randomCode(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
}

/** PushSubscription/set (RFC 8620 §7.2.2): no accountId, ifInState or states. */
export const pushSubscriptionSet: MethodHandler = async (args, ctx) => {
  const server = ctx.services.server;
  const store = server.store.pushSubscriptions;
  const accountId = ctx.account.id;
  const { ifInState: _ignored, ...rest } = args;
  const result = await runSet(rest, ctx, {
    state: () => Promise.resolve(""),
    async create(_cid, obj) {
      for (const k of Object.keys(obj)) {
        if (!KNOWN.has(k)) throw invalidProperties([k], `Unknown property "${k}".`);
      }
      // RFC 8620 §7.2: id is server-set; verificationCode must be null when created.
      if (obj.id !== undefined) throw invalidProperties(["id"]);
      if (obj.verificationCode !== undefined && obj.verificationCode !== null) {
        throw invalidProperties(["verificationCode"], "verificationCode must be null when created.");
      }
      const { deviceClientId, url } = obj;
      if (
        typeof deviceClientId !== "string" || deviceClientId === "" ||
        deviceClientId.length > MAX_DEVICE_CLIENT_ID
      ) {
        throw invalidProperties(["deviceClientId"]);
      }
      // RFC 8620 §7.2: url "MUST begin with https://".
      let parsed: URL | null = null;
      try {
        if (typeof url === "string" && url.length <= MAX_URL) parsed = new URL(url);
      } catch {
        parsed = null;
      }
      if (parsed === null || parsed.protocol !== "https:" || parsed.username || parsed.password) {
        throw invalidProperties(["url"], "url must be an absolute https: URL.");
      }
      const keys = parseKeys(obj.keys);
      const types = parseTypes(obj.types);
      const now = server.clock.now();
      const expires = clampExpires(obj.expires, now);
      if ((await store.count(accountId)) >= MAX_PUSH_SUBSCRIPTIONS) {
        throw new SetErrorException("overQuota", `At most ${MAX_PUSH_SUBSCRIPTIONS} push subscriptions.`);
      }
      const record: PushSubscriptionRecord = {
        id: crypto.randomUUID(),
        accountId,
        deviceClientId,
        url: url as string,
        keys,
        expectedCode: randomCode(),
        verificationCode: null,
        expires,
        types,
        created: now,
      };
      await store.create(record);
      // RFC 8620 §7.2.2: the server POSTs a PushVerification to the URL once created.
      server.push?.sendVerification(record);
      const created: Record<string, unknown> = { id: record.id };
      // Server-set or changed values are returned (RFC 8620 §5.3).
      if (obj.expires !== utcDate(expires)) created.expires = utcDate(expires);
      return created;
    },
    async update(id, patch) {
      const current = (await store.list(accountId)).find((s) => s.id === id);
      if (!current) throw new SetErrorException("notFound");
      const change: PushSubscriptionPatch = {};
      let reply: Record<string, unknown> | null = null;
      for (const [k, v] of Object.entries(patch)) {
        if (k === "verificationCode") {
          // RFC 8620 §7.2.2: a wrong code is rejected; the subscription stays unverified.
          if (v !== null && v !== current.expectedCode) {
            throw invalidProperties(["verificationCode"], "The verification code does not match.");
          }
          change.verificationCode = v as string | null;
        } else if (k === "expires") {
          const e = clampExpires(v, server.clock.now());
          change.expires = e;
          if (v !== utcDate(e)) reply = { expires: utcDate(e) };
        } else if (k === "types") {
          change.types = parseTypes(v);
        } else {
          // id, deviceClientId, url and keys are immutable; anything else is unknown.
          throw invalidProperties([k.split("/")[0]!], `"${k}" cannot be changed.`);
        }
      }
      await store.update(accountId, id, change);
      return reply;
    },
    async destroy(id) {
      if (!(await store.delete(accountId, id))) throw new SetErrorException("notFound");
      server.push?.forget(id);
    },
  });
  await auditSetResult(server, ctx.account, "push_subscription", result, {
    ip: ctx.remoteAddress,
    requestId: ctx.sessionId,
  });
  return {
    created: result.created,
    updated: result.updated,
    destroyed: result.destroyed,
    notCreated: result.notCreated,
    notUpdated: result.notUpdated,
    notDestroyed: result.notDestroyed,
  };
};
