/**
 * The inbound delivery pipeline: the one way a message enters Tern, whichever protocol brought it
 * (SMTP, LMTP, JMAP EmailSubmission, the queue's local delivery). A transaction goes
 * `begin(envelope, origin)` → `addRecipient(rcpt)` (resolve, route local or remote, or a typed
 * refusal the protocol turns into its own answer) → `deliver(message)` (pre-commit stages, one
 * `Received` line, store once, place locally, enqueue the rest) → per-recipient results. Stages
 * (message checks such as SPF/DKIM/DMARC, none yet) may add header fields or refuse the message
 * before anything is stored; post-delivery hooks (vacation replies now; Sieve, webhooks later) run
 * after the commit, never before, and never hold up the protocol's acknowledgement. Both are data
 * given to the pipeline: adding one touches no protocol.
 *
 * Durability: `deliver` resolves only after the store (and the queue) committed and fsynced, so a
 * protocol may acknowledge exactly the recipients reported delivered or queued.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { TlsInfo } from "../net/transport.ts";
import type { Store } from "../store/store.ts";
import {
  type Account,
  type AccountId,
  type AddedMessage,
  type BlobId,
  type MessageOutboxEntry,
  StoreError,
} from "../store/types.ts";
import { deliverLocal, deliverLocalEach, type LocalFiling, putMessageBlob } from "./local.ts";
import type { OutboundEnvelope, OutboundQueue } from "./outbound.ts";
import { RecipientResolver } from "./resolver.ts";
import type { MessageSource } from "./spool.ts";
import { formatReceived, formatReturnPath } from "./trace.ts";
import { type OutboxRecipient, withOutbox } from "./outbox.ts";
import type { LimitRefusal, TenancyPolicy } from "../tenancy/policy.ts";

/** Where a message comes from: decides the `Received` line (RFC 5321 §4.4). */
export type DeliveryOrigin =
  | {
    kind: "smtp";
    /** LMTP (RFC 2033) rather than SMTP. */
    lmtp: boolean;
    /** The HELO/EHLO/LHLO argument. */
    heloName: string;
    /** EHLO (or LHLO) rather than HELO. */
    esmtp: boolean;
    clientIp: string;
    tls: TlsInfo | null;
    /** The authenticated account's address, or null. */
    authenticatedAs: string | null;
    sessionId: string;
  }
  | {
    /** JMAP EmailSubmission/set over HTTP (RFC 8621 §7.5). */
    kind: "jmap";
    clientIp: string;
    tls: TlsInfo | null;
    authenticatedAs: string;
    sessionId: string;
  }
  | {
    /** The outbound queue handing a queued message (a DSN) to a local mailbox: it already has its trace. */
    kind: "queue";
    sessionId: string;
  }
  | {
    /** A message Tern writes itself (a vacation auto-reply): there is no client to trace. */
    kind: "internal";
    sessionId: string;
  };

/** The envelope of one transaction. */
export interface DeliveryEnvelope {
  /** Reverse-path `local@domain`; null for `<>`. */
  from: string | null;
  /** RFC 6531 SMTPUTF8 was requested. */
  smtputf8: boolean;
  /** RFC 6152 / RFC 3030 BODY parameter. */
  body: OutboundEnvelope["body"];
  /** RFC 3461 §4.3 RET. */
  ret?: "FULL" | "HDRS";
  /** RFC 3461 §4.4 ENVID (xtext). */
  envid?: string;
  /** The size announced in advance (RFC 1870 SIZE), for the quota check at RCPT time. */
  size?: number;
  /** RFC 8689 §4: MAIL FROM carried REQUIRETLS (kept with the queued copy). */
  requireTls?: boolean;
}

/** One envelope recipient with its RFC 3461 DSN parameters. */
export interface DeliveryRecipient {
  /** Forward-path as `local@domain`. */
  address: string;
  /** RFC 3461 §4.1 NOTIFY values. */
  notify?: string[];
  /** RFC 3461 §4.2 ORCPT as sent. */
  orcpt?: string;
}

/** Why a recipient (or a delivery) was refused. */
export type RefusalReason =
  | "unknownUser"
  | "mailboxFull"
  | "overQuota"
  | "notLocal"
  | "relayDenied"
  | "noQueue"
  | "localError"
  /** A pre-commit stage (a message check) refused the message. */
  | "rejected"
  /** A limit of the organization's plan (core/tenancy). */
  | "planLimit";

/** A refusal with its SMTP reply code and RFC 3463 enhanced status code, so SMTP answers it as is. */
export interface Refusal {
  reason: RefusalReason;
  /** RFC 5321 §4.2 reply code. */
  code: number;
  /** RFC 3463 enhanced status code. */
  enhanced: string;
  text: string;
}

/** The refusals, with the reply each gets on the SMTP wire. */
export const REFUSALS: Readonly<Record<RefusalReason, Refusal>> = {
  // RFC 5321 §3.6.2 / RFC 3463 §3.2: bad destination mailbox address.
  unknownUser: { reason: "unknownUser", code: 550, enhanced: "5.1.1", text: "No such user here" },
  // RFC 3463 §3.3 X.2.2: mailbox full, temporary while the owner may make room.
  mailboxFull: { reason: "mailboxFull", code: 452, enhanced: "4.2.2", text: "Mailbox full" },
  // RFC 3463 X.2.2 as a permanent failure: LMTP's per-recipient answer to a full mailbox.
  overQuota: { reason: "overQuota", code: 552, enhanced: "5.2.2", text: "Mailbox full" },
  // RFC 2033 §1: LMTP delivers to local mailboxes only, never a relay.
  notLocal: {
    reason: "notLocal",
    code: 550,
    enhanced: "5.7.1",
    text: "Relaying denied: LMTP accepts local recipients only",
  },
  relayDenied: { reason: "relayDenied", code: 554, enhanced: "5.7.1", text: "Relaying denied" },
  noQueue: {
    reason: "noQueue",
    code: 451,
    enhanced: "4.3.0",
    text: "Relay queue unavailable, try again later",
  },
  localError: {
    reason: "localError",
    code: 451,
    enhanced: "4.3.0",
    text: "Temporary failure, try again later",
  },
  // RFC 3463 X.7.1: delivery not authorized, message refused (a stage may give its own text).
  rejected: { reason: "rejected", code: 550, enhanced: "5.7.1", text: "Message refused" },
  // Issue 16: the plan's limits give their own codes (core/tenancy/policy.ts LIMIT_REFUSALS).
  planLimit: { reason: "planLimit", code: 550, enhanced: "5.7.0", text: "Refused by the plan" },
};

/** A plan limit's refusal (core/tenancy) as a pipeline refusal. */
export function planRefusal(limit: LimitRefusal): Refusal {
  return { reason: "planLimit", ...limit };
}

/** The authenticated sender of a transaction (submission, JMAP), or null. */
export function senderOf(origin: DeliveryOrigin): string | null {
  return origin.kind === "smtp" || origin.kind === "jmap" ? origin.authenticatedAs : null;
}

/** What the transaction may do with recipients, decided by the protocol (its authentication rules). */
export interface TransactionPolicy {
  /** Non-local recipients may be relayed (authenticated client, or a relay network). */
  mayRelay: boolean;
  /** Only local recipients (LMTP, the queue's local hand-off). */
  localOnly?: boolean;
  /** Transaction id (an RFC 5322 atom); a random one by default. */
  id?: string;
  /** Opaque tag handed to the queue with the remote recipients (JMAP submission tracking). */
  queueOrigin?: string;
}

/** An accepted recipient and where it goes. */
export type AcceptedRecipient =
  & DeliveryRecipient
  & ({ route: "local"; accounts: Account[] } | { route: "remote" });

/** A recipient's outcome after `deliver`. */
export type RecipientResult =
  | { address: string; status: "delivered" | "queued" }
  | { address: string; status: "failed"; refusal: Refusal; error?: unknown };

/** The outcome of `deliver`. */
export interface DeliveryResult {
  /** The transaction id (also in the `Received` line). */
  id: string;
  /** One result per accepted recipient, in `addRecipient` order. */
  recipients: RecipientResult[];
  /** Queue id of the remote recipients' entry, when there were any and it was queued. */
  queueId?: string;
  /** Settles when every post-delivery hook has run (never rejects); nothing needs to wait for it. */
  hooks: Promise<void>;
}

/** What a post-delivery hook is told: a committed local delivery. */
export interface CommittedDelivery {
  id: string;
  envelope: DeliveryEnvelope;
  origin: DeliveryOrigin;
  blobId: BlobId;
  size: number;
  /** The accounts the message was placed for. */
  accountIds: AccountId[];
  /** Each account's quota use right after the delivery, where the store told it (AddedMessage.usage). */
  usage?: ReadonlyMap<AccountId, { usedBytes: number; quotaBytes: number }>;
  /** The stored bytes (trace fields included), read only when a hook needs them. */
  raw(): Promise<Uint8Array | null>;
}

/**
 * A stage run after the commit (vacation now; Sieve, webhooks later). Its failure is logged and
 * never touches the delivered message.
 */
export interface PostDeliveryHook {
  /** For logs. */
  name: string;
  run(delivery: CommittedDelivery): Promise<void>;
}

/** What a local filter decided for one account, before storage (issue 20). */
export interface Filing extends LocalFiling {
  /**
   * Refuse this account's copy (Sieve reject; `mailboxIds` then empty): on the protocol when it can
   * answer per recipient or every recipient refuses, else the copy is dropped and bounced after.
   */
  refusal?: Refusal;
}

/** A local filter's plan for one message. */
export interface FilterPlan {
  /** Accounts without an entry are filed as without a filter (Inbox, or Junk). */
  filings: Map<AccountId, Filing>;
  /**
   * Runs after the commit and before `deliver` returns, so before the protocol's acknowledgement,
   * with the accounts whose delivery succeeded: work that must be durable when the message is
   * acknowledged (Sieve redirects, stored or queued).
   */
  redirect?(delivered: ReadonlySet<AccountId>): Promise<void>;
  /**
   * Runs after the commit, with the accounts whose delivery succeeded and those whose refusal
   * became a bounce (auto-replies, rejection notices); never delays the acknowledgement.
   */
  after?(delivered: ReadonlySet<AccountId>, bounced: ReadonlySet<AccountId>): Promise<void>;
}

/**
 * A filter of local deliveries (Sieve, core/delivery/sieve_stage.ts): runs after the stages, before
 * anything is stored, and decides where each recipient account's copy goes.
 */
export interface LocalFilter {
  /** For logs. */
  name: string;
  /** `received` is the trace this transaction adds (without Return-Path). */
  plan(
    tx: DeliveryTransaction,
    message: MessageSource,
    received: string,
    accountIds: AccountId[],
  ): Promise<FilterPlan | null>;
}

/** What a pre-commit stage decides about a message. */
export type StageVerdict =
  /**
   * Accept, optionally with header fields (CRLF-terminated) to add above the message, a
   * replacement message (e.g. forged Authentication-Results removed, RFC 8601 §5), and `junk` to
   * file it in the recipients' Junk mailboxes instead of their Inboxes (DMARC quarantine).
   */
  | {
    accept: true;
    fields?: string;
    message?: MessageSource;
    junk?: boolean;
    /** Only these recipient accounts' copies go to Junk (a per-account verdict: the junk filter, core/spam). */
    junkAccounts?: ReadonlySet<AccountId>;
  }
  /** Refuse the whole message (every recipient gets this refusal; nothing is stored). */
  | { accept: false; refusal: Refusal };

/**
 * A check run on the finished message before anything is stored (SPF, DKIM, DMARC later): it may
 * add header fields (e.g. RFC 8601 Authentication-Results) or refuse the message. Runs on the
 * protocol's path, so it costs every message; none is registered today.
 */
export interface InboundStage {
  /** For logs. */
  name: string;
  check(tx: DeliveryTransaction, message: MessageSource): Promise<StageVerdict>;
}

/** Decides the webhook outbox rows of a delivery, per account (none: an empty or absent entry). */
export type DeliveryOutbox = (input: {
  recipients: OutboxRecipient[];
  envelope: DeliveryEnvelope;
  message: MessageSource;
}) => Promise<ReadonlyMap<AccountId, readonly MessageOutboxEntry[]>>;

/** What the pipeline needs. */
export interface PipelineServices {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Our host name, for the `Received` line. */
  hostname: string;
  /** The outbound queue; without it remote recipients are refused with `noQueue`. */
  outbound?: OutboundQueue;
  /** Pre-commit stages, run in order on each finished message. */
  stages?: readonly InboundStage[];
  /** Post-delivery hooks, run in order after each commit. */
  hooks?: readonly PostDeliveryHook[];
  /**
   * The rows each local account's copy commits with (the webhook outbox, core/webhooks), written
   * by the store in the same transaction as the message.
   */
  outbox?: DeliveryOutbox;
  /** Recipient resolver (a cached one over `store` by default). */
  resolver?: RecipientResolver;
  /** The server's postmaster address, for `postmaster@` a local domain nobody else receives (RFC 5321 §4.5.1). */
  postmaster?: string;
  /** Files each local account's copy before storage (Sieve, core/delivery/sieve_stage.ts); none: the Inbox. */
  filter?: LocalFilter;
  /** Organizations' plan limits and usage counting (core/tenancy); none: no limits, nothing counted. */
  tenancy?: TenancyPolicy;
}

/** The pipeline: one per server, shared by every protocol. */
export class DeliveryPipeline {
  readonly services: PipelineServices;
  readonly resolver: RecipientResolver;
  readonly hooks: readonly PostDeliveryHook[];
  readonly stages: readonly InboundStage[];

  /** @param services store, clock, log, host name, queue and hooks */
  constructor(services: PipelineServices) {
    this.services = services;
    this.resolver = services.resolver ??
      new RecipientResolver(services.store, services.clock, { postmaster: services.postmaster });
    this.hooks = services.hooks ?? [];
    this.stages = services.stages ?? [];
  }

  /** Starts a transaction. */
  begin(envelope: DeliveryEnvelope, origin: DeliveryOrigin, policy: TransactionPolicy): DeliveryTransaction {
    return new DeliveryTransaction(this, envelope, origin, policy);
  }
}

/** One message on its way in. */
export class DeliveryTransaction {
  readonly id: string;
  readonly envelope: DeliveryEnvelope;
  readonly origin: DeliveryOrigin;
  readonly #pipeline: DeliveryPipeline;
  readonly #policy: TransactionPolicy;
  readonly #recipients: AcceptedRecipient[] = [];

  /** Use `DeliveryPipeline.begin`. */
  constructor(
    pipeline: DeliveryPipeline,
    envelope: DeliveryEnvelope,
    origin: DeliveryOrigin,
    policy: TransactionPolicy,
  ) {
    this.#pipeline = pipeline;
    this.envelope = envelope;
    this.origin = origin;
    this.#policy = policy;
    this.id = policy.id ?? crypto.randomUUID().replaceAll("-", "");
  }

  /** The recipients accepted so far, in order. */
  get recipients(): readonly AcceptedRecipient[] {
    return this.#recipients;
  }

  /**
   * Resolves a recipient and routes it (local accounts, or the queue), or refuses it: RFC 5321
   * §4.1.1.3 lets each RCPT be answered on its own. Returns null when accepted.
   */
  async addRecipient(rcpt: DeliveryRecipient): Promise<Refusal | null> {
    const res = await this.#pipeline.resolver.resolve(rcpt.address);
    if (res.kind === "unknown") return REFUSALS.unknownUser;
    if (res.kind === "local") {
      // RFC 1870 §6: a message announced too big for a mailbox is refused at RCPT.
      const size = this.envelope.size ?? 0;
      if (res.accounts.some((a) => a.quotaBytes > 0 && a.usedBytes + size > a.quotaBytes)) {
        return REFUSALS.mailboxFull;
      }
      // Issue 16: the recipients' organizations' receive limits, storage and message size.
      const limit = await this.#pipeline.services.tenancy?.checkRecipient(res.accounts, size);
      if (limit) return planRefusal(limit);
      this.#recipients.push({ ...rcpt, route: "local", accounts: res.accounts });
      return null;
    }
    if (this.#policy.localOnly) return REFUSALS.notLocal;
    // Never an open relay: the protocol says whether this client may relay.
    if (!this.#policy.mayRelay) return REFUSALS.relayDenied;
    const sender = senderOf(this.origin);
    const outboundLimit = sender
      ? await this.#pipeline.services.tenancy?.checkRemote({ address: sender })
      : null;
    if (outboundLimit) return planRefusal(outboundLimit);
    // Without a queue: a temporary failure, never a silent drop.
    if (!this.#pipeline.services.outbound) return REFUSALS.noQueue;
    this.#recipients.push({ ...rcpt, route: "remote" });
    return null;
  }

  /**
   * The authenticated sender's plan at MAIL (issue 16): the announced size and the daily send
   * limit. Null when allowed (or when there is no authenticated sender).
   */
  async checkSender(): Promise<Refusal | null> {
    const sender = senderOf(this.origin);
    const tenancy = this.#pipeline.services.tenancy;
    if (!sender || !tenancy) return null;
    const limit = await tenancy.checkSender({ address: sender }, this.envelope.size);
    return limit ? planRefusal(limit) : null;
  }

  /** The `Received` line (RFC 5321 §4.4) this transaction puts in front of the message. */
  received(date: Date): string {
    const o = this.origin;
    if (o.kind === "queue" || o.kind === "internal") return "";
    const rcpts = this.#recipients;
    return formatReceived({
      heloName: o.kind === "smtp" ? o.heloName : undefined,
      clientIp: o.clientIp,
      hostname: this.#pipeline.services.hostname,
      esmtp: o.kind === "smtp" ? o.esmtp : true,
      authenticated: o.authenticatedAs !== null,
      tls: o.tls,
      smtputf8: this.envelope.smtputf8,
      lmtp: o.kind === "smtp" && o.lmtp,
      http: o.kind === "jmap",
      id: this.id,
      // Only a single recipient is named (the others' privacy).
      forRecipient: rcpts.length === 1 ? rcpts[0]!.address : undefined,
      date,
    });
  }

  /**
   * Stores and routes the message. `perRecipient` (LMTP, RFC 2033 §4.2) places each local
   * recipient on its own, so one full mailbox fails only its recipient; otherwise the local
   * placements are all-or-nothing and, when they fail, nothing is queued either. Local recipients
   * come first, then the queue entry. Never throws: failures are per-recipient results.
   */
  async deliver(message: MessageSource, opts: { perRecipient?: boolean } = {}): Promise<DeliveryResult> {
    const { store, clock, outbound } = this.#pipeline.services;
    const now = clock.now();
    let received = this.received(now);
    const results: RecipientResult[] = this.#recipients.map((r) => ({
      address: r.address,
      status: "queued",
    }));
    let junk = false;
    const junkAccounts = new Set<AccountId>();
    for (const stage of this.#pipeline.stages) {
      const verdict = await this.#check(stage, message);
      if (!verdict.accept) {
        const refused = this.#recipients.map((r): RecipientResult => ({
          address: r.address,
          status: "failed",
          refusal: verdict.refusal,
        }));
        return { id: this.id, recipients: refused, hooks: Promise.resolve() };
      }
      // The newest trace goes on top (RFC 5321 §4.4, RFC 8601 §5): stage fields above Received.
      if (verdict.fields) received = verdict.fields + received;
      if (verdict.message) message = verdict.message;
      if (verdict.junk) junk = true;
      for (const a of verdict.junkAccounts ?? []) junkAccounts.add(a);
    }
    const role = junk ? "junk" : "inbox";
    // RFC 5321 §4.4: Return-Path is added at final delivery only.
    const localPrefix = formatReturnPath(this.envelope.from) + received;
    let localIdx = this.#recipients.flatMap((r, i) => r.route === "local" ? [i] : []);
    const remoteIdx = this.#recipients.flatMap((r, i) => r.route === "remote" ? [i] : []);
    const fail = (idx: number[], error: unknown, refusal?: Refusal) => {
      const r = refusal ?? refusalOf(error);
      for (const i of idx) {
        results[i] = { address: this.#recipients[i]!.address, status: "failed", refusal: r, error };
      }
    };
    // Issue 20: the local filter (Sieve) files each account's copy before anything is stored.
    const plan = localIdx.length > 0 ? await this.#filter(message, received, localIdx) : null;
    const bounced = new Set<AccountId>();
    if (plan) {
      localIdx = this.#refuse(plan, localIdx, remoteIdx.length, opts.perRecipient === true, fail, bounced);
    }
    const committed: Committed[] = [];
    if (localIdx.length > 0) {
      const groups = localIdx.map((i) => accountsOf(this.#recipients[i]!));
      try {
        // Webhook outbox rows commit with each account's copy (core/delivery/outbox.ts).
        const local = await this.#outboxStore(store, localIdx, message);
        if (opts.perRecipient) {
          const each = await deliverLocalEach(local, {
            prefix: localPrefix,
            message,
            groups,
            receivedAt: now,
            filings: plan?.filings,
            role,
            junkAccounts,
          });
          const placed: AccountId[] = [];
          const added: AddedMessage[] = [];
          each.outcomes.forEach((o, k) => {
            const i = localIdx[k]!;
            if (o.ok) {
              results[i] = { address: this.#recipients[i]!.address, status: "delivered" };
              placed.push(...o.added.map((a) => a.accountId));
              added.push(...o.added);
            } else {
              // RFC 2033 §4.2: a full mailbox is this recipient's permanent 552 5.2.2.
              fail([i], o.error, isOverQuota(o.error) ? REFUSALS.overQuota : undefined);
            }
          });
          if (placed.length > 0) {
            committed.push({
              blobId: each.blobId,
              size: each.size,
              accountIds: placed,
              usage: usageOf(added),
            });
          }
        } else {
          const accountIds = groups.flat();
          const done = await deliverLocal(local, {
            prefix: localPrefix,
            message,
            accountIds,
            receivedAt: now,
            filings: plan?.filings,
            role,
            junkAccounts,
          });
          for (const i of localIdx) {
            results[i] = { address: this.#recipients[i]!.address, status: "delivered" };
          }
          // Accounts whose copy the filter dropped (discard, redirect, reject) get no hooks (no auto-reply).
          const kept = [...new Set(accountIds)].filter((a) => plan?.filings.get(a)?.mailboxIds.length !== 0);
          committed.push({
            blobId: done.blobId,
            size: done.size,
            accountIds: kept,
            usage: usageOf(done.added),
          });
        }
      } catch (error) {
        fail(localIdx, error);
      }
      // All-or-nothing: a failed local placement leaves nothing queued, so a retry duplicates nothing.
      if (!opts.perRecipient && committed.length === 0) fail(remoteIdx, null, REFUSALS.localError);
    }
    let queueId: string | undefined;
    const remoteOk = remoteIdx.filter((i) => results[i]!.status === "queued");
    if (remoteOk.length > 0) {
      try {
        if (!outbound) throw new Error("No outbound queue");
        const blob = await putMessageBlob(store, received, message);
        const env = this.envelope;
        const o = this.origin;
        const recipients = remoteOk.map((i) => {
          const { address, notify, orcpt } = this.#recipients[i]!;
          return { address, ...(notify ? { notify } : {}), ...(orcpt ? { orcpt } : {}) };
        });
        queueId = (await outbound.enqueue(
          {
            from: env.from,
            recipients,
            ret: env.ret,
            envid: env.envid,
            smtputf8: env.smtputf8,
            body: env.body,
            ...(env.requireTls ? { requireTls: true } : {}),
            authUser: "authenticatedAs" in o ? o.authenticatedAs ?? undefined : undefined,
            sessionId: o.sessionId,
          },
          blob,
          this.#policy.queueOrigin ? { origin: this.#policy.queueOrigin } : undefined,
        )).id;
      } catch (error) {
        fail(remoteOk, error, REFUSALS.localError);
      }
    }
    for (const r of results) {
      if (r.status === "failed" && r.refusal.reason === "localError") {
        this.#pipeline.services.log.error("delivery failed", {
          queue_id: this.id,
          error: r.error instanceof Error ? r.error.message : String(r.error),
        });
        break;
      }
    }
    await this.#count(results, committed);
    // Issue 20: redirected copies are stored or queued before the acknowledgement.
    if (plan?.redirect) await this.#redirect(plan, results);
    const hooks = this.#runHooks(committed);
    return {
      id: this.id,
      recipients: results,
      queueId,
      hooks: plan ? hooks.then(() => this.#after(plan, results, bounced)) : hooks,
    };
  }

  /** Counts the delivery in the organizations' usage (issue 16); never fails the delivery. */
  async #count(results: RecipientResult[], committed: { accountIds: AccountId[] }[]): Promise<void> {
    const tenancy = this.#pipeline.services.tenancy;
    if (!tenancy) return;
    const sender = senderOf(this.origin);
    const sent = sender !== null && results.some((r) => r.status !== "failed");
    try {
      await tenancy.recordDelivery(sent ? { address: sender } : null, committed.flatMap((c) => c.accountIds));
    } catch (e) {
      this.#pipeline.services.log.error("usage count failed", {
        queue_id: this.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** Asks the local filter for its plan; a failing filter files everything as without one (nothing lost). */
  async #filter(message: MessageSource, received: string, localIdx: number[]): Promise<FilterPlan | null> {
    const filter = this.#pipeline.services.filter;
    if (!filter) return null;
    const accountIds = [...new Set(localIdx.flatMap((i) => accountsOf(this.#recipients[i]!)))];
    try {
      return await filter.plan(this, message, received, accountIds);
    } catch (e) {
      this.#pipeline.services.log.error("local filter failed", {
        filter: filter.name,
        queue_id: this.id,
        error: e instanceof Error ? e.message : String(e),
      });
      return null;
    }
  }

  /**
   * The filter's refusals (Sieve reject, RFC 5429 §2.1.1): a recipient all of whose accounts refuse
   * fails with the refusal where the protocol can say so per recipient (LMTP) or when every
   * recipient refuses; otherwise its accounts get no copy and are bounced after the commit.
   * Returns the local recipients still to place.
   */
  #refuse(
    plan: FilterPlan,
    localIdx: number[],
    remotes: number,
    perRecipient: boolean,
    fail: (idx: number[], error: unknown, refusal?: Refusal) => void,
    bounced: Set<AccountId>,
  ): number[] {
    const refusals = localIdx.map((i) => {
      const rs = accountsOf(this.#recipients[i]!).map((a) => plan.filings.get(a)?.refusal);
      return rs.every((r) => r !== undefined) ? rs[0]! : null;
    });
    const everyone = remotes === 0 && refusals.every((r) => r !== null);
    const rest: number[] = [];
    localIdx.forEach((i, k) => {
      const r = refusals[k];
      if (r && (perRecipient || everyone)) fail([i], null, r);
      else rest.push(i);
    });
    for (const i of rest) {
      for (const a of accountsOf(this.#recipients[i]!)) if (plan.filings.get(a)?.refusal) bounced.add(a);
    }
    return rest;
  }

  /** The accounts of the recipients reported delivered. */
  #delivered(results: RecipientResult[]): Set<AccountId> {
    const delivered = new Set<AccountId>();
    results.forEach((r, i) => {
      if (r.status === "delivered") {
        for (const a of accountsOf(this.#recipients[i]!)) delivered.add(a);
      }
    });
    return delivered;
  }

  /** Runs the filter's redirects for the delivered accounts; a failure is logged (the filter keeps a copy). */
  async #redirect(plan: FilterPlan, results: RecipientResult[]): Promise<void> {
    try {
      await plan.redirect!(this.#delivered(results));
    } catch (e) {
      this.#pipeline.services.log.error("local filter redirect failed", {
        queue_id: this.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** Runs the filter's after-commit work (replies, bounces) for the delivered accounts. */
  async #after(plan: FilterPlan, results: RecipientResult[], bounced: ReadonlySet<AccountId>): Promise<void> {
    if (!plan.after) return;
    const delivered = this.#delivered(results);
    try {
      await plan.after(delivered, bounced);
    } catch (e) {
      this.#pipeline.services.log.warn("local filter follow-up failed", {
        queue_id: this.id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** The store local placements go through: with the delivery's outbox rows when there are any. */
  async #outboxStore(store: Store, localIdx: number[], message: MessageSource): Promise<Store> {
    const outbox = this.#pipeline.services.outbox;
    if (!outbox) return store;
    const byAccount = new Map<AccountId, OutboxRecipient>();
    for (const i of localIdx) {
      const r = this.#recipients[i]!;
      if (r.route !== "local") continue;
      for (const account of r.accounts) {
        const entry = byAccount.get(account.id) ?? { account, addresses: [] };
        entry.addresses.push(r.address);
        byAccount.set(account.id, entry);
      }
    }
    return withOutbox(
      store,
      await outbox({ recipients: [...byAccount.values()], envelope: this.envelope, message }),
    );
  }

  /** Runs one stage; a stage that throws gives a temporary failure (never a silent accept). */
  async #check(stage: InboundStage, message: MessageSource): Promise<StageVerdict> {
    try {
      return await stage.check(this, message);
    } catch (e) {
      this.#pipeline.services.log.error("inbound stage failed", {
        stage: stage.name,
        queue_id: this.id,
        error: e instanceof Error ? e.message : String(e),
      });
      return { accept: false, refusal: REFUSALS.localError };
    }
  }

  /** Runs the hooks after the commit, one after another; a failing hook is logged and skipped. */
  async #runHooks(committed: Committed[]): Promise<void> {
    const { hooks } = this.#pipeline;
    if (hooks.length === 0 || committed.length === 0) return;
    const { store, log } = this.#pipeline.services;
    // Let the protocol send its acknowledgement first.
    await Promise.resolve();
    for (const c of committed) {
      const delivery: CommittedDelivery = {
        id: this.id,
        envelope: this.envelope,
        origin: this.origin,
        ...c,
        raw: () => store.blobs.get(c.blobId),
      };
      for (const hook of hooks) {
        try {
          await hook.run(delivery);
        } catch (e) {
          log.warn("post-delivery hook failed", {
            hook: hook.name,
            queue_id: this.id,
            error: e instanceof Error ? e.message : String(e),
          });
        }
      }
    }
  }
}

/** A local delivery committed: what the post-delivery hooks are told of it. */
type Committed = Pick<CommittedDelivery, "blobId" | "size" | "accountIds" | "usage">;

/** Each account's quota use after the delivery, as the store told it (the last message of each). */
function usageOf(added: readonly AddedMessage[]): Map<AccountId, { usedBytes: number; quotaBytes: number }> {
  const out = new Map<AccountId, { usedBytes: number; quotaBytes: number }>();
  for (const a of added) if (a.usage) out.set(a.accountId, a.usage);
  return out;
}

function accountsOf(r: AcceptedRecipient): AccountId[] {
  return r.route === "local" ? r.accounts.map((a) => a.id) : [];
}

function isOverQuota(e: unknown): boolean {
  return e instanceof StoreError && e.code === "overQuota";
}

/** The refusal for a failed store call: a full mailbox (temporary), else a local error. */
function refusalOf(error: unknown): Refusal {
  return isOverQuota(error) ? REFUSALS.mailboxFull : REFUSALS.localError;
}
