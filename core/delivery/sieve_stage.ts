/**
 * The Sieve delivery stage: the pipeline's local filter (`LocalFilter` of pipeline.ts), over the
 * interpreter of core/sieve (here in core/delivery, so core/sieve never depends on delivery).
 * For each local recipient account with an active script it runs the script (compiled once per
 * script version) before anything is stored and turns the actions into a filing: mailboxes
 * (fileinto, `:create`), keywords (imap4flags), an edited copy (editheader), no copy (discard,
 * redirect, reject). After the commit it sends what the script asked for: redirects through the
 * pipeline (local targets) or the outbound queue (remote ones), vacation replies, and rejection
 * notices where the protocol could not refuse the recipient itself.
 *
 * Loop protection for redirect: no redirect of a message that already passed through this
 * account's redirect (`X-Sieve-Redirected-From`) or through 8 redirects of any accounts, that has
 * 30 or more `Received` fields, or to the message's own sender (envelope or From); such a redirect
 * becomes a keep, so nothing is lost.
 *
 * Ordering with JMAP VacationResponse (RFC 8621 §8): one auto-reply per message at most. When the
 * account's VacationResponse is enabled it answers (core/delivery/vacation.ts) and the script's
 * `vacation` action is skipped; otherwise the script's `vacation` answers. Every other action of
 * the script runs either way.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { AccountId, MailboxId } from "../store/types.ts";
import { GLOBAL_SCRIPTS } from "../store/records/sieve_scripts.ts";
import type {
  DeliveryPipeline,
  DeliveryTransaction,
  Filing,
  FilterPlan,
  LocalFilter,
  Refusal,
} from "./pipeline.ts";
import { concat, memorySource, type MessageSource } from "./spool.ts";
import { formatReturnPath } from "./trace.ts";
import { composeVacationReply, inboundFacts, skipReason } from "./vacation.ts";
import { composeMessage, formatDate, formatUnstructured, generateMessageId } from "../mime/compose.ts";
import { parseMime } from "../mime/parse.ts";
import { getLastHeader } from "../mime/header.ts";
import { parseAddressList } from "../mime/address.ts";
import { CompiledScriptCache } from "../sieve/cache.ts";
import { SieveMessage } from "../sieve/message.ts";
import {
  type DuplicateMark,
  type RunLimits,
  runSieve,
  type SieveAction,
  type SieveResult,
} from "../sieve/interpreter.ts";
import { SieveSyntaxError } from "../sieve/parser.ts";
import type { CompiledScript } from "../sieve/validate.ts";
import { spamtestValues, spamVerdictOf } from "./signals.ts";
import { sieveLimits } from "../sieve/settings.ts";
import type { SieveConfig } from "../config/types.ts";

/** What the stage needs from the server (a `ServerContext` has all of it). */
export interface SieveServer {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: { readonly hostname: string; readonly sieve?: SieveConfig };
}

/** Options of the stage. */
export interface SieveStageOptions {
  /** Run-time limits of each script run (over the `[sieve]` ones). */
  limits?: Partial<RunLimits>;
}

/** A message with this many `Received` fields or more is not redirected (RFC 5321 §6.3 loop detection). */
export const MAX_RECEIVED_FOR_REDIRECT = 30;
/** A message already redirected this many times (by any accounts) is not redirected again. */
export const MAX_REDIRECT_HOPS = 8;
/** The trace field a redirect adds, naming the account that redirected. */
export const REDIRECTED_FROM = "X-Sieve-Redirected-From";

const encoder = new TextEncoder();
const cache = new CompiledScriptCache();

/** RFC 5232 §3 flags as store keywords (RFC 8621 §4.1.1): system flags to `$` keywords, others lowercased. */
export function flagsToKeywords(flags: readonly string[]): string[] {
  const out = new Set<string>();
  for (const f of flags) {
    const low = f.toLowerCase();
    if (low.startsWith("\\")) {
      const k = {
        "\\seen": "$seen",
        "\\answered": "$answered",
        "\\flagged": "$flagged",
        "\\draft": "$draft",
        "\\deleted": "$deleted",
      }[low];
      if (k) out.add(k);
      continue;
    }
    // RFC 9051 atom characters only; anything else cannot be a keyword.
    if (/^[\x21-\x7e]+$/.test(f) && !/[(){%*"\]\\]/.test(f) && f.length <= 255) out.add(low);
  }
  return [...out];
}

/** An SMTP-safe one-line text for a refusal (RFC 5321 §4.2: printable US-ASCII). */
export function refusalText(reason: string): string {
  return reason.replace(/[^\x20-\x7e]+/g, " ").replace(/\s+/g, " ").trim().slice(0, 200) ||
    "Message rejected";
}

/** An account's active script, compiled (or why it does not compile). */
interface ActiveScript {
  id: string;
  version: number;
  compiled: CompiledScript | null;
  error: string | null;
}

/**
 * Accounts whose active script (or its absence) is remembered, at most: as many as the compiled
 * cache holds (core/sieve/cache.ts), so memory stays bounded by the same number of compiled scripts.
 */
const MAX_ACTIVE_ENTRIES = 2_000;

/**
 * Each account's active script, compiled, remembered under the account's Sieve state
 * (`SieveScriptStore.state`, bumped in the same transaction as every script change, by whatever
 * process or connection makes it). A delivery reads that one counter instead of the script: when
 * it moved, the script is read and compiled again. The counter is read before the script, so a
 * change that lands between the two reads is seen at the next delivery.
 */
class ActiveScripts {
  readonly #map = new Map<AccountId, { state: string; script: ActiveScript | null }>();

  constructor(readonly store: Store, readonly log: Logger) {}

  async get(accountId: AccountId): Promise<ActiveScript | null> {
    const state = await this.store.sieveScripts.state(accountId);
    const hit = this.#map.get(accountId);
    if (hit && hit.state === state) return hit.script;
    const s = await this.store.sieveScripts.active(accountId);
    let script: ActiveScript | null = null;
    if (s) {
      try {
        script = {
          id: s.id,
          version: s.version,
          compiled: cache.get(s.id, s.version, s.content),
          error: null,
        };
      } catch (e) {
        script = {
          id: s.id,
          version: s.version,
          compiled: null,
          error: e instanceof SieveSyntaxError ? e.message : String(e),
        };
      }
    }
    this.#map.delete(accountId);
    if (this.#map.size >= MAX_ACTIVE_ENTRIES) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(accountId, { state, script });
    return script;
  }
}

/** What one account's run left to do after the commit. */
interface Pending {
  accountId: AccountId;
  address: string;
  redirects: string[];
  vacation: Extract<SieveAction, { type: "vacation" }> | null;
  reject: string | null;
  /** The message as it goes on (edited or not), without trace fields of this hop. */
  message: Uint8Array;
  /** The account keeps a copy of its own (a keep, a fileinto, or a `:copy` redirect). */
  kept: boolean;
  /** RFC 7352 §3: identifiers to add to the duplicate list once the message is stored (or refused). */
  duplicates: DuplicateMark[];
}

/**
 * The Sieve local filter.
 *
 * @param server store, clock, log and host name
 * @param pipeline the server's pipeline, for redirects and replies
 */
export function sieveFilter(
  server: SieveServer,
  pipeline: () => DeliveryPipeline,
  opts: SieveStageOptions = {},
): LocalFilter {
  const active = new ActiveScripts(server.store, server.log);
  // `[sieve]` max_actions, max_redirects, max_steps, max_run_ms (core/sieve/settings.ts).
  const runOpts: RunOptions = {
    limits: { ...sieveLimits(server.config.sieve).run, ...opts.limits },
    environment: serverEnvironment(server.config.hostname),
  };
  return {
    name: "sieve",
    async plan(tx, message, received, accountIds) {
      const scripts = new Map<AccountId, ActiveScript>();
      for (const id of accountIds) {
        const s = await active.get(id);
        if (s) scripts.set(id, s);
      }
      if (scripts.size === 0) return null;
      const raw = message.bytes() ?? await readAll(message);
      // Parsed once for every recipient's run (each run keeps its own editheader changes).
      const parsed = new SieveMessage(raw);
      const filings = new Map<AccountId, Filing>();
      const pending: Pending[] = [];
      for (const [accountId, script] of scripts) {
        const done = await runFor(server, tx, parsed, accountId, script, runOpts);
        if (!done) continue;
        if (done.filing) filings.set(accountId, done.filing);
        if (done.pending) pending.push(done.pending);
      }
      const plan: FilterPlan = { filings };
      if (pending.some((p) => p.redirects.length > 0)) {
        plan.redirect = (delivered) => redirectAll(server, pipeline(), tx, received, pending, delivered);
      }
      if (pending.some((p) => p.vacation !== null || p.reject !== null || p.duplicates.length > 0)) {
        plan.after = (delivered, bounced) =>
          notifyAll(server, pipeline(), tx, raw, pending, delivered, bounced);
      }
      return plan;
    },
  };
}

/** What every run of a stage shares: its limits and the server's RFC 5183 environment items. */
interface RunOptions {
  limits: Partial<RunLimits>;
  environment: Readonly<Record<string, string>>;
}

/** RFC 5183 §4 environment items that depend on the server alone (computed once per stage). */
function serverEnvironment(hostname: string): Readonly<Record<string, string>> {
  return Object.freeze({
    domain: hostname.split(".").slice(1).join(".") || hostname,
    host: hostname,
    location: "MDA",
    name: "Tern",
    phase: "during",
    version: "1",
  });
}

/** The environment of one delivery: the server's items, and the client's when it came from one. */
function environmentOf(
  base: Readonly<Record<string, string>>,
  origin: DeliveryTransaction["origin"],
): Readonly<Record<string, string>> {
  if (!("clientIp" in origin)) return base;
  return {
    ...base,
    "remote-ip": origin.clientIp,
    ...(origin.kind === "smtp" ? { "remote-host": origin.heloName } : {}),
  };
}

/** Runs one account's script and turns its actions into a filing and follow-up work. */
async function runFor(
  server: SieveServer,
  tx: DeliveryTransaction,
  parsed: SieveMessage,
  accountId: AccountId,
  script: ActiveScript,
  opts: RunOptions,
): Promise<{ filing: Filing | null; pending: Pending | null } | null> {
  const { store, log } = server;
  const raw = parsed.raw;
  const rcpt = tx.recipients.find((r) => r.route === "local" && r.accounts.some((a) => a.id === accountId));
  // The recipient resolution already loaded the account: no second read on the delivery path.
  const known = rcpt?.route === "local" ? rcpt.accounts.find((a) => a.id === accountId) : undefined;
  const account = known ?? await store.getAccount(accountId);
  if (!account) return null;
  if (script.compiled === null) {
    // A stored script that no longer compiles: implicit keep (RFC 5228 §2.10.6), and say why.
    log.warn("sieve script does not compile", { account: account.address, error: script.error });
    return null;
  }
  const compiled = script.compiled;
  const now = server.clock.now();
  const origin = tx.origin;
  // RFC 3685 / RFC 5235: spamtest from this account's spam verdict (core/spam); untested: null ("0").
  const spam = spamVerdictOf(tx, accountId);
  const spamtest = spam ? spamtestValues(spam) : null;
  const result: SieveResult = await runSieve(compiled, {
    raw,
    message: parsed,
    spamScore: spamtest?.score ?? null,
    spamPercent: spamtest?.percent ?? null,
    envelope: { from: tx.envelope.from, to: rcpt?.address ?? account.address },
    now,
    environment: environmentOf(opts.environment, origin),
    mailboxExists: async (name) => (await findMailbox(store, accountId, name, false)) !== null,
    duplicate: (id, handle) => store.sieveScripts.isDuplicate(accountId, handle, id, now),
    include: async (name, location) => {
      // RFC 6609 §3.1: personal scripts are the account's, global ones the server's
      // (`tern sieve put --global`).
      const s = await store.sieveScripts.get(location === "global" ? GLOBAL_SCRIPTS : accountId, name);
      return s ? cache.get(s.id, s.version, s.content) : null;
    },
    limits: opts.limits,
  });
  if (result.error) {
    log.warn("sieve script failed, message kept", {
      account: account.address,
      queue_id: tx.id,
      error: result.error,
    });
  }
  const message = result.message ?? raw;
  const mailboxIds: MailboxId[] = [];
  const flags: string[] = [];
  let defaultKeep = false;
  const redirects: string[] = [];
  let vacation: Pending["vacation"] = null;
  let reject: string | null = null;
  // Parsed only when a redirect needs the loop checks: most scripts never redirect.
  let facts: RedirectFacts | null = null;
  for (const a of result.actions) {
    switch (a.type) {
      case "keep":
        defaultKeep = true;
        flags.push(...a.flags);
        break;
      case "fileinto": {
        const box = await findMailbox(store, accountId, a.mailbox, a.create).catch(() => null);
        if (box === null) {
          // RFC 5228 §4.1: a mailbox that cannot be used: the message is kept instead.
          log.warn("sieve fileinto: no such mailbox, kept in Inbox", {
            account: account.address,
            mailbox: a.mailbox,
          });
          defaultKeep = true;
        } else if (!mailboxIds.includes(box)) mailboxIds.push(box);
        flags.push(...a.flags);
        break;
      }
      case "redirect": {
        const why = redirectRefusal(
          a.address,
          account.address,
          tx.envelope.from,
          facts ??= redirectFacts(raw),
        );
        if (why) {
          log.warn("sieve redirect skipped, message kept", { account: account.address, reason: why });
          defaultKeep = true;
        } else redirects.push(a.address);
        break;
      }
      case "discard":
        break;
      case "reject":
        reject = a.reason;
        break;
      case "vacation":
        vacation = a;
        break;
    }
  }
  const keywords = flagsToKeywords(flags);
  let filing: Filing | null;
  if (reject !== null) {
    // RFC 5429 §2.1.1: "550 5.7.1" with the script's reason.
    const refusal: Refusal = { reason: "rejected", code: 550, enhanced: "5.7.1", text: refusalText(reject) };
    filing = { mailboxIds: [], refusal };
  } else if (mailboxIds.length === 0 && !defaultKeep) {
    filing = { mailboxIds: [] };
  } else if (mailboxIds.length === 0 && keywords.length === 0 && !result.message) {
    // Just the keep: filed as without a script (the Inbox, or Junk when a check said so).
    filing = null;
  } else {
    if (defaultKeep) {
      const inbox = await store.getMailboxByRole(accountId, "inbox");
      if (inbox && !mailboxIds.includes(inbox.id)) mailboxIds.unshift(inbox.id);
    }
    filing = {
      mailboxIds,
      ...(keywords.length > 0 ? { keywords } : {}),
      ...(result.message ? { message } : {}),
    };
  }
  const pending = redirects.length > 0 || vacation || reject !== null || result.duplicates.length > 0
    ? {
      accountId,
      address: account.address,
      redirects,
      vacation,
      reject,
      message,
      kept: filing === null || filing.mailboxIds.length > 0,
      duplicates: result.duplicates,
    }
    : null;
  return { filing, pending };
}

interface RedirectFacts {
  receivedCount: number;
  redirectedBy: string[];
  fromHeader: string | null;
}

function redirectFacts(raw: Uint8Array): RedirectFacts {
  const root = parseMime(raw);
  const from = getLastHeader(root, "from");
  return {
    receivedCount: root.headers.filter((h) => h.key === "received").length,
    redirectedBy: root.headers.filter((h) => h.key === REDIRECTED_FROM.toLowerCase()).map((h) =>
      h.value.trim().replace(/^<|>$/g, "").toLowerCase()
    ),
    fromHeader: from ? parseAddressList(from)[0]?.email.toLowerCase() ?? null : null,
  };
}

/** Why a redirect must not happen (a loop), or null. */
function redirectRefusal(
  target: string,
  account: string,
  envelopeFrom: string | null,
  facts: RedirectFacts,
): string | null {
  const t = target.toLowerCase();
  if (facts.redirectedBy.includes(account.toLowerCase())) return "already redirected by this account";
  if (facts.redirectedBy.length >= MAX_REDIRECT_HOPS) return "redirected too many times";
  if (facts.receivedCount >= MAX_RECEIVED_FOR_REDIRECT) return "too many Received fields";
  if (t === envelopeFrom?.toLowerCase() || t === facts.fromHeader) return "target is the sender";
  if (t === account.toLowerCase()) return "target is the account itself";
  return null;
}

/**
 * Finds a mailbox by its full name ("/"-separated, "INBOX" case-insensitive); with `create`,
 * creates the missing levels (RFC 5490 §3.2).
 */
export async function findMailbox(
  store: Store,
  accountId: AccountId,
  name: string,
  create: boolean,
): Promise<MailboxId | null> {
  const parts = name.split("/").filter((p) => p !== "");
  if (parts.length === 0) return null;
  const boxes = await store.listMailboxes(accountId);
  let parent: MailboxId | null = null;
  for (let i = 0; i < parts.length; i++) {
    const leaf = parts[i]!;
    let found = i === 0 && leaf.toUpperCase() === "INBOX"
      ? boxes.find((b) => b.role === "inbox") ?? null
      : boxes.find((b) => b.parentId === parent && b.name === leaf) ?? null;
    if (!found) {
      if (!create) return null;
      found = await store.createMailbox(accountId, { name: leaf, parentId: parent });
      boxes.push(found);
    }
    parent = found.id;
  }
  return parent;
}

async function readAll(message: MessageSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of await message.stream()) {
    chunks.push(c);
    n += c.length;
  }
  return concat(chunks, n);
}

/**
 * Before the acknowledgement: each redirect stored (a local target, through the pipeline) or queued
 * (a remote one). A redirect that cannot be made leaves the message in the account's own Inbox, so
 * an acknowledged message is never lost. Never throws.
 */
async function redirectAll(
  server: SieveServer,
  pipeline: DeliveryPipeline,
  tx: DeliveryTransaction,
  received: string,
  pending: Pending[],
  delivered: ReadonlySet<AccountId>,
): Promise<void> {
  const { log } = server;
  for (const p of pending) {
    if (p.redirects.length === 0 || !delivered.has(p.accountId)) continue;
    let failed = false;
    for (const target of p.redirects) {
      try {
        const head = encoder.encode(`${received}${REDIRECTED_FROM}: <${p.address}>\r\n`);
        const bytes = concat([head, p.message], head.length + p.message.length);
        const env = tx.envelope;
        // RFC 5228 §4.2: the envelope sender stays the original one.
        const out = pipeline.begin(
          { from: env.from, smtputf8: env.smtputf8, body: env.body },
          { kind: "internal", sessionId: `sieve-${tx.id}` },
          { mayRelay: true },
        );
        const refused = await out.addRecipient({ address: target });
        if (refused) {
          log.warn("sieve redirect refused", { account: p.address, reason: refused.text });
          failed = true;
          continue;
        }
        const r = await out.deliver(memorySource(bytes));
        if (r.recipients.some((x) => x.status === "failed")) {
          log.warn("sieve redirect failed", { account: p.address });
          failed = true;
        }
      } catch (e) {
        log.warn("sieve redirect failed", {
          account: p.address,
          error: e instanceof Error ? e.message : String(e),
        });
        failed = true;
      }
    }
    if (failed && !p.kept) await keepCopy(server, tx, received, p);
  }
}

/** Stores the message in the account's Inbox (the keep of a redirect that could not be made). */
async function keepCopy(
  server: SieveServer,
  tx: DeliveryTransaction,
  received: string,
  p: Pending,
): Promise<void> {
  try {
    const inbox = await server.store.getMailboxByRole(p.accountId, "inbox");
    if (!inbox) throw new Error("no Inbox");
    const head = encoder.encode(formatReturnPath(tx.envelope.from) + received);
    await server.store.storeMessages(concat([head, p.message], head.length + p.message.length), [
      { accountId: p.accountId, mailboxIds: [inbox.id], receivedAt: server.clock.now() },
    ]);
    p.kept = true;
  } catch (e) {
    server.log.error("sieve redirect fallback keep failed", {
      account: p.address,
      queue_id: tx.id,
      error: e instanceof Error ? e.message : String(e),
    });
  }
}

/** Adds a run's duplicate identifiers to the account's list (RFC 7352 §3). Never throws. */
async function recordDuplicates(server: SieveServer, p: Pending): Promise<void> {
  const now = server.clock.now();
  try {
    for (const d of p.duplicates) {
      await server.store.sieveScripts.recordDuplicate(
        p.accountId,
        d.handle,
        d.id,
        now,
        d.seconds * 1000,
        d.last,
      );
    }
  } catch (e) {
    server.log.warn("sieve duplicate tracking failed", {
      account: p.address,
      error: e instanceof Error ? e.message : String(e),
    });
  }
}

/** After the commit: the duplicate list, the vacation reply and rejection notices. Never throws. */
async function notifyAll(
  server: SieveServer,
  pipeline: DeliveryPipeline,
  tx: DeliveryTransaction,
  raw: Uint8Array,
  pending: Pending[],
  delivered: ReadonlySet<AccountId>,
  bounced: ReadonlySet<AccountId>,
): Promise<void> {
  for (const p of pending) {
    // RFC 7352 §3: the run succeeded and its outcome is applied (stored, or refused): its
    // identifiers join the list now. Not before the commit: a delivery that failed and is
    // retried must not find itself a duplicate of the attempt that was never stored.
    if (p.duplicates.length > 0 && (delivered.has(p.accountId) || bounced.has(p.accountId))) {
      await recordDuplicates(server, p);
    }
    try {
      if (p.reject !== null) {
        if (bounced.has(p.accountId)) await sendRejection(server, pipeline, tx, raw, p);
        continue;
      }
      if (p.vacation && delivered.has(p.accountId)) {
        await sendVacation(server, pipeline, tx, raw, p, p.vacation);
      }
    } catch (e) {
      server.log.warn("sieve follow-up failed", {
        account: p.address,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
}

/** RFC 5230 §4: the reply when one is due (rules of RFC 5230 §4.5 and RFC 3834 §2). */
async function sendVacation(
  server: SieveServer,
  pipeline: DeliveryPipeline,
  tx: DeliveryTransaction,
  raw: Uint8Array,
  p: Pending,
  v: Extract<SieveAction, { type: "vacation" }>,
): Promise<void> {
  const { store, log } = server;
  const sender = tx.envelope.from;
  if (!sender) return;
  // JMAP VacationResponse first: when on, it is the one reply (see the module comment).
  if ((await store.vacations.get(p.accountId)).value.isEnabled) {
    log.info("sieve vacation skipped: JMAP VacationResponse is on", { account: p.address });
    return;
  }
  const facts = inboundFacts(raw);
  const own = [...await store.sendableAddresses(p.accountId), ...v.addresses];
  const now = server.clock.now();
  const response = {
    id: "singleton" as const,
    isEnabled: true,
    fromDate: null,
    toDate: null,
    subject: v.subject,
    textBody: v.reason,
    htmlBody: null,
  };
  const skip = skipReason(response, facts, sender, own, now);
  if (skip !== null) return;
  if (!await store.sieveScripts.claimVacation(p.accountId, v.handle, sender, now, v.seconds * 1000)) return;
  // RFC 5230 §4.3 :from: only an address the account may send as (never a forged sender).
  const wanted = v.from ? parseAddressList(v.from)[0]?.email.toLowerCase() ?? null : null;
  const sendable = await store.sendableAddresses(p.accountId);
  const from = wanted && sendable.some((a) => a.toLowerCase() === wanted) ? wanted : p.address;
  let reply: Uint8Array;
  if (v.mime) {
    // RFC 5230 §5.8: with :mime the reason is a whole MIME entity (its own Content-* fields).
    const plain = composeVacationReply(
      { ...response, textBody: "" },
      facts,
      from,
      sender,
      now,
      server.config.hostname,
    );
    const text = new TextDecoder().decode(plain);
    const header = text.slice(0, text.indexOf("\r\n\r\n") + 2).split(/\r\n(?![ \t])/).filter((l) =>
      l !== "" && !/^content-/i.test(l)
    ).join("\r\n");
    reply = encoder.encode(`${header}\r\n${v.reason.replace(/\r?\n/g, "\r\n")}`);
  } else {
    reply = composeVacationReply(response, facts, from, sender, now, server.config.hostname);
  }
  // RFC 5230 §5.3 / RFC 3834 §3.3: the null reverse-path.
  const out = pipeline.begin(
    { from: null, smtputf8: false, body: "8BITMIME" },
    { kind: "internal", sessionId: "sieve-vacation" },
    { mayRelay: true },
  );
  if (await out.addRecipient({ address: sender }) !== null) return;
  await (await out.deliver(memorySource(reply))).hooks;
}

/**
 * RFC 5429 §2.1: a rejection that could not be given on the protocol goes back to the sender as
 * an MDN (RFC 8098) with disposition "deleted", from the null reverse-path.
 */
async function sendRejection(
  server: SieveServer,
  pipeline: DeliveryPipeline,
  tx: DeliveryTransaction,
  raw: Uint8Array,
  p: Pending,
): Promise<void> {
  const sender = tx.envelope.from;
  if (!sender) return;
  const facts = inboundFacts(raw);
  // Never answer automatic mail (RFC 3834 §2).
  if (facts.autoSubmitted !== null && facts.autoSubmitted.toLowerCase() !== "no") return;
  const root = parseMime(raw);
  const host = server.config.hostname;
  const now = server.clock.now();
  const report = composeMessage({
    headers: [
      { name: "From", value: `<MAILER-DAEMON@${host}>` },
      { name: "To", value: `<${sender}>` },
      { name: "Subject", value: formatUnstructured(`Rejected: ${facts.subject || "your message"}`) },
      { name: "Date", value: formatDate(now) },
      { name: "Message-ID", value: `<${generateMessageId(host)}>` },
      { name: "Auto-Submitted", value: "auto-replied" },
    ],
    body: {
      kind: "multipart",
      subtype: "report",
      params: { "report-type": "disposition-notification" },
      parts: [
        {
          kind: "leaf",
          type: "text/plain",
          content:
            `Your message to ${p.address} was rejected by the recipient's filter:\r\n\r\n${p.reject}\r\n`,
        },
        {
          kind: "leaf",
          type: "message/disposition-notification",
          content: `Reporting-UA: ${host}; Tern\r\nFinal-Recipient: rfc822; ${p.address}\r\n` +
            (facts.messageId ? `Original-Message-ID: <${facts.messageId}>\r\n` : "") +
            "Disposition: automatic-action/MDN-sent-automatically; deleted\r\n",
        },
        { kind: "leaf", type: "text/rfc822-headers", content: raw.subarray(0, root.bodyStart) },
      ],
    },
  });
  const out = pipeline.begin(
    { from: null, smtputf8: false, body: "8BITMIME" },
    { kind: "internal", sessionId: "sieve-reject" },
    { mayRelay: true },
  );
  if (await out.addRecipient({ address: sender }) !== null) return;
  await (await out.deliver(memorySource(report))).hooks;
}
