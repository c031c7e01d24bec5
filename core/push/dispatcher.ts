/**
 * Delivery of JMAP push messages to PushSubscription URLs (RFC 8620 §7.2): a PushVerification
 * when a subscription is created, then StateChange objects (§7.1) for the types it asked for once
 * it is verified and until it expires. Changes that arrive while a delivery is in flight or waiting
 * for a retry are coalesced into the next StateChange (the states are read when it is sent, so the
 * client always gets the latest). Failed deliveries are retried with growing delays; a push
 * service that answers 404 or 410 has dropped the subscription (RFC 8030 §7.3), so Tern drops it
 * too. Every request goes through the SSRF-guarded outbound HTTP client.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { AccountId, ChangeType } from "../store/types.ts";
import type { ChangeEvent } from "../store/notifier.ts";
import type { PushSubscriptionRecord } from "../store/records/push_subscriptions.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../clock.ts";
import type { OutboundRequest, OutboundResponse } from "../net/outbound_http.ts";
import { buildPushRequest, PushKeyError, type Urgency } from "./request.ts";
import { sharedWith } from "../acl/access.ts";
import { GENERATION_TYPES, GrantView, viewState } from "../acl/view_state.ts";
import type { VapidKeys } from "./vapid.ts";

/** The part of the outbound HTTP client the dispatcher uses. */
export interface PushHttp {
  request(req: OutboundRequest): Promise<OutboundResponse>;
}

/** Type names a PushSubscription may list (RFC 8620 §7.2, RFC 8621 §1.5 EmailDelivery). */
export const PUSH_TYPE_NAMES: readonly string[] = [
  "Mailbox",
  "Email",
  "EmailDelivery",
  "Thread",
  "EmailSubmission",
  "Identity",
];

/** Types of a shared account its grantees are pushed (RFC 9670: the mail data they may see). */
const SHARED_TYPES: ReadonlySet<ChangeType> = new Set(["Mailbox", "Email", "Thread"]);

/** Delays before the 1st, 2nd, … retry of a failed delivery; then it is given up. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];

/** Options of a dispatcher. */
export interface PushDispatcherOptions {
  store: Store;
  log: Logger;
  clock: Clock;
  http: PushHttp;
  /** The server's VAPID keys (null: requests are not signed). Called once, on first delivery. */
  vapid: () => Promise<VapidKeys | null>;
  retryDelaysMs?: readonly number[];
  /** RFC 8030 §5.2 TTL of StateChange messages, seconds (default one day). */
  ttlSeconds?: number;
}

/** Delivery state of one subscription. */
interface Lane {
  accountId: AccountId;
  /** Types changed and not yet delivered. */
  pending: Set<string>;
  /** Types changed in accounts shared with the subscriber (RFC 9670), by account. */
  sharedPending: Map<AccountId, Set<string>>;
  /** A PushVerification waiting to be delivered (sent before any StateChange). */
  verification: Record<string, unknown> | null;
  running: boolean;
  attempt: number;
  timer: ReturnType<typeof setTimeout> | null;
}

/** Sends push messages for every account that has subscriptions. */
export class PushDispatcher {
  readonly #o: Required<Omit<PushDispatcherOptions, "vapid">> & Pick<PushDispatcherOptions, "vapid">;
  readonly #watching = new Map<AccountId, () => void>();
  readonly #lanes = new Map<string, Lane>();
  readonly #inboxIds = new Map<AccountId, string | null>();
  #vapid: Promise<VapidKeys | null> | null = null;
  #stopped = false;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #routing = new Set<Promise<void>>();
  /** Per owner: the subscription to their changes, and their grantees' views (core/acl/view_state.ts). */
  readonly #owners = new Map<AccountId, { unsubscribe: () => void; grantees: Map<AccountId, GrantView> }>();

  /** @param options store, log, clock, outbound HTTP client, VAPID keys, retry delays, TTL */
  constructor(options: PushDispatcherOptions) {
    this.#o = {
      retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
      ttlSeconds: 86_400,
      ...options,
    };
  }

  /** Watches every account that has subscriptions and drops expired ones. */
  async start(): Promise<void> {
    await this.#o.store.pushSubscriptions.deleteExpired(this.#o.clock.now());
    for (const accountId of await this.#o.store.pushSubscriptions.accounts()) this.watch(accountId);
  }

  /** Starts listening to an account's changes (idempotent); called when a subscription is created. */
  watch(accountId: AccountId): void {
    if (this.#stopped || this.#watching.has(accountId)) return;
    const unsubscribe = this.#o.store.notifier.subscribe(accountId, (event) => {
      const p = this.#onChange(event);
      this.#routing.add(p);
      p.catch(() => {}).finally(() => this.#routing.delete(p));
      this.#track(p);
    });
    this.#watching.set(accountId, unsubscribe);
    // RFC 9670: the accounts shared with the subscriber push their changes too (changesRouted
    // waits for these subscriptions).
    const p = this.#watchShared(accountId);
    this.#routing.add(p);
    p.catch((error) => this.#o.log.warn("push shared-account lookup failed", { error: String(error) }))
      .finally(() => this.#routing.delete(p));
  }

  /** Follows the owners of the mailboxes shared with `grantee` (as of now; core/acl). */
  async #watchShared(grantee: AccountId): Promise<void> {
    const byOwner = new Map<AccountId, GrantView>();
    for (const s of await sharedWith(this.#o.store, grantee)) {
      if (!byOwner.has(s.owner.id)) {
        byOwner.set(s.owner.id, await GrantView.open(this.#o.store, grantee, s.owner.id));
      }
    }
    if (this.#stopped) return;
    for (const [ownerId, view] of byOwner) {
      let owner = this.#owners.get(ownerId);
      if (!owner) {
        const unsubscribe = this.#o.store.notifier.subscribe(ownerId, (event) => {
          const p = this.#onSharedChange(ownerId, event);
          this.#routing.add(p);
          p.catch(() => {}).finally(() => this.#routing.delete(p));
          this.#track(p);
        });
        this.#owners.set(ownerId, owner = { unsubscribe, grantees: new Map() });
      }
      owner.grantees.set(grantee, view);
    }
  }

  /**
   * Routes a change of an owner's account to the subscriptions of the users it is shared with,
   * when it touches a mailbox they may look up (RFC 4314 §4), for the mail types only. A grant
   * change that moves a grantee's Email and Thread states (core/acl/view_state.ts) pushes them too.
   */
  async #onSharedChange(ownerId: AccountId, event: ChangeEvent): Promise<void> {
    const owner = this.#owners.get(ownerId);
    if (!owner) return;
    if (!event.types.some((t) => SHARED_TYPES.has(t))) return;
    const now = this.#o.clock.now().getTime();
    for (const [grantee, view] of owner.grantees) {
      const types = await view.apply(this.#o.store, event, SHARED_TYPES);
      if (types.length === 0) continue;
      for (const sub of await this.#o.store.pushSubscriptions.list(grantee)) {
        if (sub.verificationCode === null || sub.verificationCode !== sub.expectedCode) continue;
        if (sub.expires !== null && sub.expires.getTime() < now) continue;
        const wanted = types.filter((t) => sub.types === null || sub.types.includes(t));
        if (wanted.length === 0) continue;
        const lane = this.#lane(sub.id, sub.accountId);
        const set = lane.sharedPending.get(ownerId) ?? new Set<string>();
        for (const t of wanted) set.add(t);
        lane.sharedPending.set(ownerId, set);
        this.#kick(sub.id, lane);
      }
    }
  }

  /**
   * Queues the PushVerification object for a new subscription (RFC 8620 §7.2.2); it is POSTed
   * before anything else is sent to that subscription.
   */
  sendVerification(sub: PushSubscriptionRecord): void {
    if (this.#stopped) return;
    this.watch(sub.accountId);
    const lane = this.#lane(sub.id, sub.accountId);
    lane.verification = {
      "@type": "PushVerification",
      pushSubscriptionId: sub.id,
      verificationCode: sub.expectedCode,
    };
    this.#kick(sub.id, lane);
  }

  /** Forgets a destroyed subscription's pending deliveries. */
  forget(id: string): void {
    const lane = this.#lanes.get(id);
    if (lane?.timer != null) clearTimeout(lane.timer);
    this.#lanes.delete(id);
  }

  /**
   * Resolves once every change event received so far has been routed to the subscriptions it
   * concerns (queued or coalesced into a pending StateChange); deliveries may still be running.
   */
  async changesRouted(): Promise<void> {
    while (this.#routing.size > 0) await Promise.allSettled([...this.#routing]);
  }

  /** Stops listening, cancels retries and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const unsubscribe of this.#watching.values()) unsubscribe();
    this.#watching.clear();
    for (const owner of this.#owners.values()) owner.unsubscribe();
    this.#owners.clear();
    for (const lane of this.#lanes.values()) if (lane.timer !== null) clearTimeout(lane.timer);
    this.#lanes.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  #track(p: Promise<void>): void {
    this.#inFlight.add(p);
    p.catch((error) => this.#o.log.warn("push delivery failed", { error: String(error) }))
      .finally(() => this.#inFlight.delete(p));
  }

  #lane(id: string, accountId: AccountId): Lane {
    let lane = this.#lanes.get(id);
    if (!lane) {
      lane = {
        accountId,
        pending: new Set(),
        sharedPending: new Map(),
        verification: null,
        running: false,
        attempt: 0,
        timer: null,
      };
      this.#lanes.set(id, lane);
    }
    return lane;
  }

  async #onChange(event: ChangeEvent): Promise<void> {
    const { store, clock } = this.#o;
    const subs = await store.pushSubscriptions.list(event.accountId);
    if (subs.length === 0) {
      this.#watching.get(event.accountId)?.();
      this.#watching.delete(event.accountId);
      return;
    }
    const changed: string[] = [...event.types];
    // RFC 8621 §1.5: EmailDelivery changes when new mail arrives; an Email change that touches the
    // Inbox (SMTP delivery, IMAP APPEND) counts as one, as for EventSource (protocols/jmap/push.ts).
    if (event.types.includes("Email")) {
      let inboxId = this.#inboxIds.get(event.accountId);
      if (inboxId === undefined) {
        inboxId = (await store.getMailboxByRole(event.accountId, "inbox"))?.id ?? null;
        this.#inboxIds.set(event.accountId, inboxId);
      }
      if (inboxId !== null && event.mailboxIds.includes(inboxId)) changed.push("EmailDelivery");
    }
    const now = clock.now().getTime();
    for (const sub of subs) {
      // RFC 8620 §7.2.2: nothing but the verification is sent before the code is set back.
      if (sub.verificationCode === null || sub.verificationCode !== sub.expectedCode) continue;
      if (sub.expires !== null && sub.expires.getTime() < now) continue; // §7.2: not after expires
      const wanted = changed.filter((t) => sub.types === null || sub.types.includes(t));
      if (wanted.length === 0) continue;
      const lane = this.#lane(sub.id, sub.accountId);
      for (const t of wanted) lane.pending.add(t);
      this.#kick(sub.id, lane);
    }
  }

  /** Starts a delivery run for a lane unless one is running or waiting for its retry. */
  #kick(id: string, lane: Lane): void {
    if (lane.running || lane.timer !== null || this.#stopped) return;
    this.#track(this.#run(id, lane));
  }

  async #run(id: string, lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (!this.#stopped && this.#lanes.get(id) === lane) {
        const sub = (await this.#o.store.pushSubscriptions.list(lane.accountId)).find((s) => s.id === id);
        if (!sub || (sub.expires !== null && sub.expires.getTime() < this.#o.clock.now().getTime())) {
          this.#lanes.delete(id);
          return;
        }
        let payload: Record<string, unknown>;
        let urgency: Urgency = "normal";
        let sentTypes: string[] = [];
        let sentShared = new Map<AccountId, Set<string>>();
        const verification = lane.verification;
        if (verification !== null) {
          payload = verification;
        } else if (lane.pending.size > 0 || lane.sharedPending.size > 0) {
          sentTypes = [...lane.pending];
          lane.pending = new Set();
          sentShared = lane.sharedPending;
          lane.sharedPending = new Map();
          const changed: Record<string, Record<string, string>> = {};
          const stateOf = async (accountId: AccountId, types: Iterable<string>) => {
            const states: Record<string, string> = {};
            for (const t of types) {
              const type = (t === "EmailDelivery" ? "Email" : t) as ChangeType;
              const state = await this.#o.store.state(accountId, type);
              // A shared account's Email and Thread states carry the grant generation.
              const view = accountId === lane.accountId
                ? undefined
                : this.#owners.get(accountId)?.grantees.get(lane.accountId);
              states[t] = view && GENERATION_TYPES.has(type) ? viewState(state, view.rights) : state;
            }
            changed[accountId] = states;
          };
          if (sentTypes.length > 0) await stateOf(lane.accountId, sentTypes);
          for (const [accountId, types] of sentShared) await stateOf(accountId, types);
          // RFC 8620 §7.1: StateChange { @type, changed: { accountId: { type: state } } }.
          payload = { "@type": "StateChange", changed };
          // New mail is what a user waits for; other changes can wait for the device to wake.
          if (sentTypes.includes("EmailDelivery")) urgency = "high";
        } else {
          this.#lanes.delete(id);
          return;
        }
        const outcome = await this.#deliver(sub, payload, urgency, verification !== null);
        if (outcome === "ok" || outcome === "drop") {
          lane.attempt = 0;
          if (verification !== null) lane.verification = null;
          continue;
        }
        if (outcome === "gone") {
          await this.#o.store.pushSubscriptions.delete(lane.accountId, id);
          this.#o.log.info("push subscription dropped by its push service", { subscription: id });
          this.#lanes.delete(id);
          return;
        }
        // Retry: the types go back into the pending set (merged with anything new).
        for (const t of sentTypes) lane.pending.add(t);
        for (const [accountId, types] of sentShared) {
          const set = lane.sharedPending.get(accountId) ?? new Set<string>();
          for (const t of types) set.add(t);
          lane.sharedPending.set(accountId, set);
        }
        const delay = this.#o.retryDelaysMs[lane.attempt];
        if (this.#stopped) return;
        if (delay === undefined) {
          this.#o.log.warn("push delivery given up", { subscription: id, attempts: lane.attempt + 1 });
          lane.attempt = 0;
          lane.verification = null;
          lane.pending.clear();
          lane.sharedPending.clear();
          return;
        }
        lane.attempt++;
        lane.timer = setTimeout(() => {
          lane.timer = null;
          this.#kick(id, lane);
        }, delay);
        return;
      }
    } finally {
      lane.running = false;
    }
  }

  async #deliver(
    sub: PushSubscriptionRecord,
    payload: Record<string, unknown>,
    urgency: Urgency,
    isVerification: boolean,
  ): Promise<"ok" | "retry" | "gone" | "drop"> {
    const { log } = this.#o;
    this.#vapid ??= this.#o.vapid().catch((error) => {
      log.error("VAPID keys unavailable; push requests go unsigned", { error: String(error) });
      return null;
    });
    const vapid = await this.#vapid;
    let request;
    try {
      request = buildPushRequest(
        { url: sub.url, keys: sub.keys, payload, ttl: isVerification ? 3600 : this.#o.ttlSeconds, urgency },
        vapid,
      );
    } catch (error) {
      if (error instanceof PushKeyError) {
        log.warn("push subscription keys unusable", { subscription: sub.id, error: error.message });
        return "drop";
      }
      throw error;
    }
    let res: OutboundResponse;
    try {
      res = await this.#o.http.request(request);
    } catch (error) {
      const refused = (error as Error)?.name === "OutboundHttpRefused";
      log.warn("push delivery failed", { subscription: sub.id, error: String(error) });
      return refused ? "drop" : "retry";
    }
    log.debug("push delivered", { subscription: sub.id, status: res.status });
    if (res.status >= 200 && res.status < 300) return "ok";
    // RFC 8030 §7.3: 404/410 mean the push subscription is gone.
    if (res.status === 404 || res.status === 410) return "gone";
    if (res.status === 429 || res.status >= 500) return "retry";
    log.warn("push delivery refused", { subscription: sub.id, status: res.status });
    return "drop";
  }
}
