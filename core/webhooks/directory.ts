/**
 * Which webhooks an event goes to: an account's events go to the enabled webhooks subscribed to
 * that event whose scope is the account's address (or an envelope address that reached it, e.g.
 * an alias), its domain, or its organization; installation-wide events go to `system` webhooks.
 * The list is cached briefly (the CLI may change it from another process) and whenever this
 * process changes it (`invalidate`). Plans may turn webhooks off (core/tenancy `webhooks` flag).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Store } from "../store/store.ts";
import type { Account, AccountId } from "../store/types.ts";
import type { WebhookEvent, WebhookRecord } from "../store/records/webhooks.ts";

/** Decides whether an account's plan allows webhooks (core/tenancy `featureEnabled`). */
export type WebhookGate = (accountId: AccountId) => Promise<boolean>;

/** The webhooks of the installation, matched to events. */
export class WebhookDirectory {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #gate: WebhookGate;
  #cache: { at: number; list: Promise<WebhookRecord[]> } | null = null;

  /**
   * @param store where webhooks live
   * @param clock for the cache
   * @param gate the plan's `webhooks` feature flag per account
   * @param ttlMs how long a loaded list is used (default 2 s)
   */
  constructor(store: Store, clock: Clock, gate: WebhookGate, ttlMs = 2000) {
    this.#store = store;
    this.#clock = clock;
    this.#gate = gate;
    this.#ttlMs = ttlMs;
  }

  /** Drops the cached list (after a change made in this process). */
  invalidate(): void {
    this.#cache = null;
  }

  /** Every webhook (cached). */
  all(): Promise<WebhookRecord[]> {
    const now = this.#clock.now().getTime();
    if (!this.#cache || now - this.#cache.at > this.#ttlMs) {
      const list = this.#store.webhooks.list();
      this.#cache = { at: now, list };
      list.catch(() => (this.#cache = null));
    }
    return this.#cache.list;
  }

  /** A webhook by id (through the cache, then the store). */
  async get(id: string): Promise<WebhookRecord | null> {
    return (await this.all()).find((w) => w.id === id) ?? await this.#store.webhooks.get(id);
  }

  /**
   * The enabled webhooks subscribed to `event` for an account, `extraAddresses` being envelope
   * addresses that reached it (aliases). Empty when the account's plan has webhooks off.
   */
  async forAccount(
    account: Pick<Account, "id" | "address">,
    event: WebhookEvent,
    extraAddresses: readonly string[] = [],
  ): Promise<WebhookRecord[]> {
    const hooks = (await this.all()).filter((w) =>
      w.enabled && w.events.includes(event) && w.scopeKind !== "system"
    );
    if (hooks.length === 0) return [];
    const addresses = new Set([account.address, ...extraAddresses].map((a) => a.toLowerCase()));
    const domains = new Set([...addresses].map((a) => a.slice(a.lastIndexOf("@") + 1)));
    let org: string | null | undefined;
    const out: WebhookRecord[] = [];
    for (const w of hooks) {
      let match = false;
      if (w.scopeKind === "address") match = addresses.has(w.scope);
      else if (w.scopeKind === "domain") match = domains.has(w.scope);
      else if (w.scopeKind === "organization") {
        org ??= await this.#store.organizations.orgOfAccount(account.id);
        match = org === w.scope;
      }
      if (match) out.push(w);
    }
    if (out.length === 0) return out;
    return (await this.#gate(account.id)) ? out : [];
  }

  /** The enabled `system` webhooks subscribed to `event` (admin notifications). */
  async forSystem(event: WebhookEvent): Promise<WebhookRecord[]> {
    return (await this.all()).filter((w) =>
      w.enabled && w.scopeKind === "system" && w.events.includes(event)
    );
  }
}
