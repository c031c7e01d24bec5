/**
 * Webhook management shared by the CLI (`tern webhook add|list|test|delete`) and the admin API
 * (`/api/v1/webhooks`): scope parsing and checks, creation with a fresh secret, listing, deletion,
 * and the public view of a webhook (the secret is shown only when it is created).
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import {
  WEBHOOK_EVENTS,
  type WebhookEvent,
  type WebhookRecord,
  type WebhookScopeKind,
} from "../store/records/webhooks.ts";
import { generateSecret, secretKey } from "./signature.ts";

/** A refused webhook operation (a usage error when `invalid`). */
export class WebhookError extends Error {
  override name = "WebhookError";
  /** @param message for the user; @param invalid the request is malformed (else: cannot be done) */
  constructor(message: string, readonly invalid = true) {
    super(message);
  }
}

/** What creating a webhook takes. */
export interface NewWebhookInput {
  /** `address:a@b`, `domain:b`, `org:<id>`, `system`, or a bare address or domain. */
  scope: string;
  url: string;
  /** Default: `message.received`. */
  events?: string[];
  /** Default: a new random `whsec_` secret. */
  secret?: string;
}

/** A webhook as shown to users (no secret). */
export interface WebhookView {
  id: string;
  scope: string;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  failures: number;
  pausedUntil: string | null;
  created: string;
}

/** Parses a scope: `address:`, `domain:`, `org:`/`organization:`, `system`, or a bare address/domain. */
export function parseScope(s: string): { kind: WebhookScopeKind; value: string } {
  const t = s.trim();
  if (t === "system") return { kind: "system", value: "" };
  const m = /^(address|domain|org|organization):(.+)$/i.exec(t);
  if (m) {
    const kind = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (kind === "org" || kind === "organization") return { kind: "organization", value };
    return { kind: kind as "address" | "domain", value: value.toLowerCase() };
  }
  if (t.includes("@")) return { kind: "address", value: t.toLowerCase() };
  if (/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(t)) return { kind: "domain", value: t.toLowerCase() };
  throw new WebhookError(`Invalid scope "${s}": expected address:<a@b>, domain:<d>, org:<id> or system`);
}

/** The scope of a webhook as written (`address:a@b`). */
export function formatScope(w: Pick<WebhookRecord, "scopeKind" | "scope">): string {
  return w.scopeKind === "system"
    ? "system"
    : `${w.scopeKind === "organization" ? "org" : w.scopeKind}:${w.scope}`;
}

/** The user-facing view of a webhook. */
export function webhookView(w: WebhookRecord): WebhookView {
  return {
    id: w.id,
    scope: formatScope(w),
    url: w.url,
    events: w.events,
    enabled: w.enabled,
    failures: w.failures,
    pausedUntil: w.pausedUntil?.toISOString() ?? null,
    created: w.created.toISOString(),
  };
}

function checkUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new WebhookError(`Invalid URL "${raw}"`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new WebhookError("The URL must be http: or https:");
  }
  if (u.username || u.password) throw new WebhookError("The URL must not carry credentials");
  if (raw.length > 2048) throw new WebhookError("The URL is too long");
  return u.href;
}

function checkEvents(events: string[] | undefined): WebhookEvent[] {
  const list = events && events.length > 0 ? events : ["message.received"];
  for (const e of list) {
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(e)) {
      throw new WebhookError(`Unknown event "${e}" (expected ${WEBHOOK_EVENTS.join(", ")})`);
    }
  }
  return [...new Set(list)] as WebhookEvent[];
}

/** Creates a webhook; returns it with its secret (shown once). */
export async function addWebhook(store: Store, input: NewWebhookInput, now: Date): Promise<WebhookRecord> {
  const scope = parseScope(input.scope);
  if (scope.kind === "address") {
    const domain = scope.value.slice(scope.value.lastIndexOf("@") + 1);
    if (!(await store.isLocalDomain(domain))) {
      throw new WebhookError(`${domain} is not a local domain`, false);
    }
  } else if (scope.kind === "domain") {
    if (!(await store.isLocalDomain(scope.value))) {
      throw new WebhookError(`${scope.value} is not a local domain`, false);
    }
  } else if (scope.kind === "organization") {
    if (!(await store.organizations.get(scope.value))) {
      throw new WebhookError(`No organization "${scope.value}"`, false);
    }
  }
  const secret = input.secret ?? generateSecret();
  try {
    secretKey(secret);
  } catch (e) {
    throw new WebhookError((e as Error).message);
  }
  const record: WebhookRecord = {
    id: "wh_" + crypto.randomUUID().replaceAll("-", "").slice(0, 20),
    scopeKind: scope.kind,
    scope: scope.value,
    url: checkUrl(input.url),
    events: checkEvents(input.events),
    secret,
    enabled: true,
    failures: 0,
    pausedUntil: null,
    created: now,
  };
  await store.webhooks.create(record);
  return record;
}

/** Webhooks, optionally only those of one scope. */
export async function listWebhooks(store: Store, scope?: string): Promise<WebhookRecord[]> {
  const all = await store.webhooks.list();
  if (!scope) return all;
  const s = parseScope(scope);
  return all.filter((w) => w.scopeKind === s.kind && w.scope === s.value);
}

/** Deletes a webhook (its deliveries and log too). */
export async function deleteWebhook(store: Store, id: string): Promise<void> {
  if (!(await store.webhooks.delete(id))) throw new WebhookError(`No webhook "${id}"`, false);
}
