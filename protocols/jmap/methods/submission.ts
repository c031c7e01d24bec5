/**
 * EmailSubmission/get, /changes, /query, /queryChanges, /set (RFC 8621 §7). A submission goes
 * through the inbound delivery pipeline (core/delivery/pipeline.ts), as SMTP does: the same
 * recipient resolution, `Received` line and post-delivery hooks (vacation replies) for local
 * recipients; remote ones go to the outbound queue when the server has one, and otherwise fail the
 * submission with a `forbidden` error, never silently.
 *
 * @module
 */
import type { AccountId } from "../../../core/store/types.ts";
import { beginJmapDelivery } from "../jmap_delivery.ts";
import { memorySource } from "../../../core/delivery/spool.ts";
import {
  type DeliveryStatus,
  type EmailSubmission,
  type Envelope,
  submissionOrigin,
} from "../../../core/jmap/submissions.ts";
import { isTrackingQueue } from "../../../core/jmap/submission_tracking.ts";
import { parseMime } from "../../../core/mime/parse.ts";
import { invalidProperties, MethodError, SetErrorException } from "../errors.ts";
import {
  getIds,
  getProperties,
  type MethodContext,
  type MethodHandler,
  optObject,
  optStringArray,
  pick,
  requireAccount,
  resolveCreationId,
} from "../method_context.ts";
import { standardChanges } from "../changes.ts";
import { queryChangesFromLog, windowResults } from "../query.ts";
import { runSet, setResponse } from "../set.ts";
import { headerValue } from "../email_view.ts";
import { maySendAs } from "./identity.ts";
import { emailSetResult } from "./email_write.ts";
import type { Invocation } from "../request.ts";

const PROPERTIES = new Set([
  "id",
  "identityId",
  "emailId",
  "threadId",
  "envelope",
  "sendAt",
  "undoStatus",
  "deliveryStatus",
  "dsnBlobIds",
  "mdnBlobIds",
]);

const MAX_RECIPIENTS_DEFAULT = 100;

function toJmap(s: EmailSubmission): Record<string, unknown> {
  const { queueId: _queueId, ...rest } = s;
  return { ...rest, sendAt: s.sendAt.toISOString().replace(/\.\d{3}Z$/, "Z") };
}

/** EmailSubmission/get (RFC 8621 §7.1). */
export const submissionGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const ids = getIds(args, ctx);
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const state = await ctx.services.server.store.state(accountId, "EmailSubmission");
  const all = await ctx.services.submissions.list(accountId);
  const byId = new Map(all.map((s) => [s.id, s]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? all.map((s) => s.id)) {
    const s = byId.get(id);
    if (s) list.push(pick(toJmap(s), props));
    else notFound.push(id);
  }
  return { accountId, state, list, notFound };
};

/** EmailSubmission/changes (RFC 8621 §7.2). */
export const submissionChanges: MethodHandler = (args, ctx) => standardChanges(args, ctx, "EmailSubmission");

async function querySubmissions(
  args: Record<string, unknown>,
  ctx: MethodContext,
  accountId: AccountId,
): Promise<string[]> {
  const filter = optObject(args, "filter");
  const ids = (v: unknown, k: string): string[] => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
      throw new MethodError("invalidArguments", `"${k}" must be an array of ids.`);
    }
    return v.map((id) => resolveCreationId(id, ctx) ?? id);
  };
  const match = (s: EmailSubmission, f: Record<string, unknown>): boolean => {
    if ("operator" in f) {
      const rs = (f.conditions as Record<string, unknown>[] ?? []).map((c) => match(s, c));
      if (f.operator === "AND") return rs.every(Boolean);
      if (f.operator === "OR") return rs.some(Boolean);
      if (f.operator === "NOT") return !rs.some(Boolean);
      throw new MethodError("unsupportedFilter");
    }
    for (const [k, v] of Object.entries(f)) {
      switch (k) {
        case "identityIds":
          if (!ids(v, k).includes(s.identityId)) return false;
          break;
        case "emailIds":
          if (!ids(v, k).includes(s.emailId)) return false;
          break;
        case "threadIds":
          if (!ids(v, k).includes(s.threadId)) return false;
          break;
        case "undoStatus":
          if (s.undoStatus !== v) return false;
          break;
        case "before":
          if (!(s.sendAt < new Date(String(v)))) return false;
          break;
        case "after":
          if (!(s.sendAt >= new Date(String(v)))) return false;
          break;
        default:
          throw new MethodError("unsupportedFilter", `Unknown EmailSubmission filter "${k}".`);
      }
    }
    return true;
  };
  let list = await ctx.services.submissions.list(accountId);
  if (filter) list = list.filter((s) => match(s, filter));
  const sort = (args.sort ?? []) as { property: string; isAscending?: boolean }[];
  const cmp = sort.map((c) => {
    const sign = c.isAscending === false ? -1 : 1;
    switch (c.property) {
      case "emailId":
        return (a: EmailSubmission, b: EmailSubmission) => sign * a.emailId.localeCompare(b.emailId);
      case "threadId":
        return (a: EmailSubmission, b: EmailSubmission) => sign * a.threadId.localeCompare(b.threadId);
      case "sentAt":
        return (a: EmailSubmission, b: EmailSubmission) => sign * (a.sendAt.getTime() - b.sendAt.getTime());
      default:
        throw new MethodError("unsupportedSort", `Cannot sort EmailSubmissions by "${c.property}".`);
    }
  });
  list.sort((a, b) => {
    for (const c of cmp) {
      const r = c(a, b);
      if (r) return r;
    }
    return 0;
  });
  return list.map((s) => s.id);
}

/** EmailSubmission/query (RFC 8621 §7.3). */
export const submissionQuery: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const queryState = await ctx.services.server.store.state(accountId, "EmailSubmission");
  const ids = await querySubmissions(args, ctx, accountId);
  return { accountId, queryState, canCalculateChanges: true, ...windowResults(ids, args, ctx) };
};

/** EmailSubmission/queryChanges (RFC 8621 §7.4). */
export const submissionQueryChanges: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const since = args.sinceQueryState;
  if (typeof since !== "string") throw new MethodError("invalidArguments", "sinceQueryState is required.");
  const changes = await ctx.services.server.store.changes(accountId, "EmailSubmission", since);
  const ids = await querySubmissions(args, ctx, accountId);
  return {
    accountId,
    oldQueryState: since,
    newQueryState: changes.newState,
    ...queryChangesFromLog(ids, changes, args),
  };
};

function parseEnvelope(v: unknown): Envelope {
  const addr = (a: unknown, k: string) => {
    const o = a as Record<string, unknown> | null;
    if (typeof o?.email !== "string") throw invalidProperties([k]);
    return { email: o.email, parameters: (o.parameters ?? null) as Record<string, string | null> | null };
  };
  const o = v as Record<string, unknown> | null;
  if (!o || !Array.isArray(o.rcptTo)) throw invalidProperties(["envelope"]);
  return {
    mailFrom: addr(o.mailFrom, "envelope/mailFrom"),
    rcptTo: o.rcptTo.map((r) => addr(r, "envelope/rcptTo")),
  };
}

/** Removes Bcc fields from the header (RFC 5322 §3.6.3: recipients must not see them). */
function withoutBcc(raw: Uint8Array): Uint8Array {
  const root = parseMime(raw);
  const bcc = root.headers.filter((h) => h.key === "bcc");
  if (bcc.length === 0) return raw;
  const chunks: Uint8Array[] = [];
  let pos = 0;
  for (const h of bcc) {
    chunks.push(raw.subarray(pos, h.start));
    pos = h.end;
  }
  chunks.push(raw.subarray(pos));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

interface SubmissionOutcome {
  submission: EmailSubmission;
}

async function submit(
  obj: Record<string, unknown>,
  ctx: MethodContext,
  accountId: AccountId,
): Promise<SubmissionOutcome> {
  const store = ctx.services.server.store;
  for (const k of Object.keys(obj)) {
    if (!["identityId", "emailId", "envelope"].includes(k)) {
      throw invalidProperties([k], `"${k}" cannot be set on create.`);
    }
  }
  if (typeof obj.identityId !== "string") throw invalidProperties(["identityId"]);
  if (typeof obj.emailId !== "string") throw invalidProperties(["emailId"]);
  const identityId = resolveCreationId(obj.identityId, ctx);
  const emailId = resolveCreationId(obj.emailId, ctx);
  await ctx.services.identities.list(accountId, ctx.account);
  const identity = identityId ? await ctx.services.identities.get(accountId, identityId) : null;
  if (!identity) throw invalidProperties(["identityId"], "Unknown identity.");
  const [email] = emailId ? await store.getMessages(accountId, [emailId]) : [];
  if (!email) throw invalidProperties(["emailId"], "Unknown email.");
  const raw = await store.readMessage(accountId, email.id);
  if (!raw) throw invalidProperties(["emailId"], "Unknown email.");
  const root = parseMime(raw);
  const addrs = (key: string) =>
    (headerValue(raw, root, { property: "", key, form: "Addresses", all: true }) as { email: string }[][])
      .flat()
      .map((a) => a.email);
  const fromAddrs = addrs("from");
  // RFC 8621 §7.5: the From addresses must be ones the identity may use.
  for (const f of fromAddrs) {
    if (f.toLowerCase() !== identity.email.toLowerCase() && !await maySendAs(ctx, f)) {
      throw new SetErrorException("forbiddenFrom", `Not allowed to send as "${f}".`);
    }
  }
  let envelope: Envelope;
  if (obj.envelope !== undefined && obj.envelope !== null) envelope = parseEnvelope(obj.envelope);
  else {
    // RFC 8621 §7: derived envelope from Sender/From and To/Cc/Bcc.
    const sender = addrs("sender")[0] ?? fromAddrs[0] ?? identity.email;
    const rcpts = [...new Set([...addrs("to"), ...addrs("cc"), ...addrs("bcc")].map((a) => a.toLowerCase()))];
    envelope = {
      mailFrom: { email: sender, parameters: null },
      rcptTo: rcpts.map((email) => ({ email, parameters: null })),
    };
  }
  if (!await maySendAs(ctx, envelope.mailFrom.email)) {
    throw new SetErrorException(
      "forbiddenMailFrom",
      `Not allowed to use "${envelope.mailFrom.email}" as MAIL FROM.`,
    );
  }
  if (envelope.rcptTo.length === 0) {
    throw new SetErrorException("noRecipients", "The envelope has no recipients.");
  }
  const max = ctx.services.server.config.smtp.max_recipients || MAX_RECIPIENTS_DEFAULT;
  if (envelope.rcptTo.length > max) {
    throw new SetErrorException("tooManyRecipients", `At most ${max} recipients.`, { maxRecipients: max });
  }
  const invalid = envelope.rcptTo.filter((r) => !/^[^@\s<>]+@[^@\s<>]+$/.test(r.email)).map((r) => r.email);
  if (invalid.length) {
    throw new SetErrorException("invalidRecipients", "Malformed recipients.", { invalidRecipients: invalid });
  }

  const server = ctx.services.server;
  const now = server.clock.now();
  const submissionId = crypto.randomUUID();
  const message = withoutBcc(raw);
  const addresses = [envelope.mailFrom.email, ...envelope.rcptTo.map((r) => r.email)];
  const tx = beginJmapDelivery(ctx, envelope.mailFrom.email, addresses, message.length, {
    mayRelay: true,
    queueOrigin: submissionOrigin(accountId, submissionId),
  });
  // Issue 16: the sender's plan (message size, daily send limit).
  const limit = await tx.checkSender();
  if (limit) throw new SetErrorException("forbiddenToSend", limit.text);
  const unknown: string[] = [];
  const unqueued: string[] = [];
  for (const r of envelope.rcptTo) {
    const refusal = await tx.addRecipient({ address: r.email });
    if (refusal === null) continue;
    if (refusal.reason === "noQueue") unqueued.push(r.email);
    else if (refusal.reason === "unknownUser") unknown.push(r.email);
    else {
      throw new SetErrorException(
        "forbiddenToSend",
        refusal.reason === "planLimit"
          ? refusal.text
          : "Local delivery failed (e.g. a recipient is over quota).",
      );
    }
  }
  if (unknown.length > 0) {
    throw new SetErrorException("invalidRecipients", `No such local recipient "${unknown[0]}".`, {
      invalidRecipients: unknown,
    });
  }
  if (unqueued.length > 0) {
    // No queue: refuse clearly rather than drop anything.
    throw new SetErrorException(
      "forbidden",
      `Remote delivery is not available on this server (no outbound queue); not sent to: ${
        unqueued.join(", ")
      }.`,
    );
  }
  const local = tx.recipients.filter((r) => r.route === "local").map((r) => r.address);
  const remote = tx.recipients.filter((r) => r.route === "remote").map((r) => r.address);
  const deliveryStatus: Record<string, DeliveryStatus> = {};
  for (const email of local) {
    deliveryStatus[email] = { smtpReply: "250 2.1.5 Delivered", delivered: "yes", displayed: "unknown" };
  }
  for (const email of remote) {
    deliveryStatus[email] = { smtpReply: "250 2.0.0 Queued", delivered: "queued", displayed: "unknown" };
  }
  // RFC 8621 §7: pending while every recipient waits in the queue (it may still be canceled);
  // final once any recipient has the message. The queue reports outcomes to
  // core/jmap/submission_tracking.ts, which moves deliveryStatus and undoStatus on. The record
  // exists before the queue entry, so an outcome reported at once finds it.
  let submission = await ctx.services.submissions.insert(accountId, {
    identityId: identity.id,
    emailId: email.id,
    threadId: email.threadId,
    envelope,
    sendAt: now,
    undoStatus: local.length === 0 && remote.length > 0 ? "pending" : "final",
    deliveryStatus,
    dsnBlobIds: [],
    mdnBlobIds: [],
  }, submissionId);
  const result = await tx.deliver(memorySource(message));
  const failed = result.recipients.find((r) => r.status === "failed");
  if (failed?.status === "failed") {
    await ctx.services.submissions.delete(accountId, submissionId);
    ctx.log.warn("JMAP submission delivery failed", { reason: failed.refusal.reason });
    throw new SetErrorException(
      "forbiddenToSend",
      failed.refusal.reason === "rejected"
        ? failed.refusal.text
        : local.includes(failed.address)
        ? "Local delivery failed (e.g. a recipient is over quota)."
        : "The message could not be queued.",
    );
  }
  if (result.queueId !== undefined) {
    await ctx.services.submissions.setQueueId(accountId, submissionId, result.queueId);
    submission = await ctx.services.submissions.get(accountId, submissionId) ?? submission;
  }
  await store.recordChange(accountId, "EmailSubmission", { created: [submission.id] });
  return { submission };
}

/** EmailSubmission/set (RFC 8621 §7.5) with onSuccessUpdateEmail / onSuccessDestroyEmail. */
export const submissionSet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const store = ctx.services.server.store;
  const onUpdate = optObject(args, "onSuccessUpdateEmail");
  const onDestroy = optStringArray(args, "onSuccessDestroyEmail");
  const emailOf = new Map<string, string>(); // submission id → email id
  const result = await runSet(args, ctx, {
    state: () => store.state(accountId, "EmailSubmission"),
    async create(_cid, obj) {
      const { submission } = await submit(obj, ctx, accountId);
      emailOf.set(submission.id, submission.emailId);
      return {
        id: submission.id,
        threadId: submission.threadId,
        sendAt: toJmap(submission).sendAt,
        undoStatus: submission.undoStatus,
      };
    },
    async update(id, patch) {
      const s = await ctx.services.submissions.get(accountId, id);
      if (!s) throw new SetErrorException("notFound");
      emailOf.set(id, s.emailId);
      const keys = Object.keys(patch);
      if (keys.length !== 1 || keys[0] !== "undoStatus" || patch.undoStatus !== "canceled") {
        throw invalidProperties(keys, 'Only undoStatus may be changed, to "canceled".');
      }
      // RFC 8621 §7.5: only a pending submission can be canceled: its queue entry is withdrawn
      // unless a delivery to one of its recipients has started or ended meanwhile.
      const outbound = ctx.services.server.outbound;
      const canceled = s.undoStatus === "pending" && s.queueId && isTrackingQueue(outbound) &&
        await outbound.cancel(s.queueId);
      if (!canceled) throw new SetErrorException("cannotUnsend", "The message was already sent.");
      const statuses: Record<string, DeliveryStatus> = {};
      for (const [rcpt, d] of Object.entries(s.deliveryStatus ?? {})) {
        if (d.delivered === "queued") {
          statuses[rcpt] = { ...d, delivered: "no", smtpReply: "550 5.0.0 Canceled by the sender" };
        }
      }
      await ctx.services.submissions.updateStatus(accountId, id, statuses, "canceled");
      await store.recordChange(accountId, "EmailSubmission", { updated: [id] });
      return null;
    },
    async destroy(id) {
      const s = await ctx.services.submissions.get(accountId, id);
      if (!s) throw new SetErrorException("notFound");
      emailOf.set(id, s.emailId);
      await ctx.services.submissions.delete(accountId, id);
      await store.recordChange(accountId, "EmailSubmission", { destroyed: [id] });
    },
  });
  const responses: Invocation[] = [["EmailSubmission/set", setResponse(accountId, result), ctx.callId]];
  // RFC 8621 §7.5: implicit Email/set after the submission changes, only for successful ones.
  const succeeded = new Set([
    ...Object.values(result.created ?? {}).map((c) => String(c.id)),
    ...Object.keys(result.updated ?? {}),
    ...(result.destroyed ?? []),
  ]);
  const ref = (key: string): string | null => {
    const sid = key.startsWith("#") ? ctx.createdIds.get(key.slice(1)) ?? null : key;
    return sid !== null && succeeded.has(sid) ? emailOf.get(sid) ?? null : null;
  };
  const update: Record<string, unknown> = {};
  for (const [k, patch] of Object.entries(onUpdate ?? {})) {
    const emailId = ref(k);
    if (emailId) update[emailId] = patch;
  }
  const destroy = (onDestroy ?? []).map(ref).filter((x): x is string => x !== null);
  if (Object.keys(update).length || destroy.length) {
    const set = await emailSetResult({ accountId, update, destroy }, ctx, accountId);
    responses.push(["Email/set", set, ctx.callId]);
  }
  return responses;
};
