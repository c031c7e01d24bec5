/**
 * Email/set, Email/import and Email/copy (RFC 8621 §4.6–§4.8).
 *
 * @module
 */
import type { AddedMessage, KeywordChange, MailboxId, NewMessage } from "../../../core/store/types.ts";
import { StoreError } from "../../../core/store/types.ts";
import { invalidProperties, MethodError, SetErrorException } from "../errors.ts";
import {
  type MethodContext,
  type MethodHandler,
  optBool,
  optObject,
  resolveCreationId,
} from "../method_context.ts";
import { runSet, type SetResult } from "../set.ts";
import { buildEmail } from "../email_create.ts";
import { messageBlobId } from "../blob_ids.ts";
import { readBlob } from "../blobs.ts";
import { looksLikeMessage } from "../../../core/mime/message_shape.ts";
import type { Invocation } from "../request.ts";
import { tenancyOf } from "../../../core/tenancy/policy.ts";
import { viewState } from "../shared_view.ts";
import { hasRights, rightsForKeywords } from "../../../core/acl/rights.ts";
import {
  accountAccess,
  blobReader,
  checkSharedEmailChange,
  checkSharedEmailCreate,
  checkSharedEmailDestroy,
  visibleMessage,
} from "../mailbox_sharing.ts";

const KEYWORD_RE = /^[\x21-\x7e]{1,255}$/;

function checkKeyword(k: string, prop: string): string {
  if (!KEYWORD_RE.test(k) || /[(){\]%*"\\]/.test(k)) throw invalidProperties([prop], `Bad keyword "${k}".`);
  return k.toLowerCase();
}

function parseKeywords(value: unknown, prop = "keywords"): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidProperties([prop]);
  return Object.entries(value).map(([k, v]) => {
    if (v !== true) throw invalidProperties([prop], "Keyword values must be true.");
    return checkKeyword(k, prop);
  });
}

async function parseMailboxIds(value: unknown, ctx: MethodContext, accountId: string): Promise<MailboxId[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidProperties(["mailboxIds"]);
  }
  const ids: MailboxId[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v !== true) throw invalidProperties(["mailboxIds"], "mailboxIds values must be true.");
    const id = resolveCreationId(k, ctx);
    if (id === null) throw invalidProperties(["mailboxIds"], `Unknown creation id "${k}".`);
    ids.push(id);
  }
  await checkMailboxes(ids, ctx, accountId);
  return ids;
}

async function checkMailboxes(ids: MailboxId[], ctx: MethodContext, accountId: string): Promise<void> {
  if (ids.length === 0) throw invalidProperties(["mailboxIds"], "An Email must be in at least one mailbox.");
  const all = new Set((await ctx.services.server.store.listMailboxes(accountId)).map((m) => m.id));
  for (const id of ids) if (!all.has(id)) throw invalidProperties(["mailboxIds"], `Unknown mailbox "${id}".`);
}

/** Issue 16: the plan storage of the account's organization (RFC 8621 §4.6 overQuota). */
async function checkOrgStorage(ctx: MethodContext, accountId: string, bytes: number): Promise<void> {
  if (!(await tenancyOf(ctx.services.server).storageAllows(accountId, bytes))) {
    throw new SetErrorException("overQuota", "The organization's storage limit is reached.");
  }
}

function storeSetError(error: unknown): never {
  if (error instanceof StoreError) {
    if (error.code === "overQuota") throw new SetErrorException("overQuota", error.message);
    if (error.code === "notFound") throw new SetErrorException("notFound", error.message);
    if (error.code === "invalid") throw new SetErrorException("invalidProperties", error.message);
    if (error.code === "forbidden") throw new SetErrorException("forbidden", error.message);
  }
  throw error;
}

function receivedAtOf(value: unknown, now: Date): Date {
  if (value === undefined || value === null) return now;
  if (typeof value !== "string" || Number.isNaN(Date.parse(value)) || !value.endsWith("Z")) {
    throw invalidProperties(["receivedAt"]);
  }
  return new Date(value);
}

/** Stores raw bytes as a new Email; returns its creation response. */
async function storeEmail(
  ctx: MethodContext,
  accountId: string,
  bytes: Uint8Array,
  mailboxIds: MailboxId[],
  keywords: string[],
  receivedAt: Date,
): Promise<Record<string, unknown>> {
  const store = ctx.services.server.store;
  if (bytes.length > ctx.services.server.config.smtp.max_message_size) {
    throw new SetErrorException("tooLarge", "The message exceeds the maximum message size.", {
      maxSize: ctx.services.server.config.smtp.max_message_size,
    });
  }
  await checkOrgStorage(ctx, accountId, bytes.length);
  const blob = await store.blobs.put(bytes);
  try {
    const [added] = await store.addMessages([{
      accountId,
      mailboxIds,
      blobId: blob.blobId,
      keywords,
      receivedAt,
    }]);
    return { id: added!.id, blobId: messageBlobId(added!.id), threadId: added!.threadId, size: blob.size };
  } catch (error) {
    storeSetError(error);
  }
}

/** Email/set (RFC 8621 §4.6). */
export const emailSet: MethodHandler = async (args, ctx) => {
  // RFC 9670: on a shared account the RFC 4314 rights decide each change (mailbox_sharing.ts).
  const access = await accountAccess(args, ctx);
  return await emailSetResult(args, ctx, access.accountId, access.rights);
};

/** The Email/set logic, also used for implicit calls (EmailSubmission onSuccess*, Email/copy). */
export async function emailSetResult(
  args: Record<string, unknown>,
  ctx: MethodContext,
  accountId: string,
  shared: ReadonlyMap<MailboxId, string> | null = null,
): Promise<Record<string, unknown>> {
  const store = ctx.services.server.store;
  const result: SetResult = await runSet(args, ctx, {
    // On a shared account the state carries the grant generation (shared_view.ts).
    state: async () => viewState(await store.state(accountId, "Email"), shared),
    async create(_cid, obj) {
      const mailboxIds = await parseMailboxIds(obj.mailboxIds, ctx, accountId);
      const keywords = obj.keywords === undefined || obj.keywords === null ? [] : parseKeywords(obj.keywords);
      if (shared) checkSharedEmailCreate(shared, mailboxIds, keywords);
      const now = ctx.services.server.clock.now();
      const receivedAt = receivedAtOf(obj.receivedAt, now);
      const bytes = await buildEmail(obj, {
        now,
        hostname: ctx.services.server.config.hostname,
        resolveBlob: async (blobId) => {
          const id = resolveCreationId(blobId, ctx) ?? blobId;
          const reader = shared ? { userId: ctx.account.id, rights: shared } : undefined;
          return (await readBlob(ctx.services, accountId, id, reader))?.bytes ?? null;
        },
      });
      return await storeEmail(ctx, accountId, bytes, mailboxIds, keywords, receivedAt);
    },
    async update(id, patch) {
      // The current mailboxes matter to a patch of single mailboxes and to the rights on a shared
      // account; a keyword change on the own account does not read them.
      const boxes = shared !== null || Object.keys(patch).some((p) => p.startsWith("mailboxIds/"));
      const [m] = await store.getMessages(accountId, [id], boxes ? undefined : { mailboxIds: false });
      if (!m) throw new SetErrorException("notFound");
      let keywordChange: KeywordChange | null = null;
      const add: string[] = [];
      const remove: string[] = [];
      let mailboxes: Set<MailboxId> | null = null;
      for (const [path, value] of Object.entries(patch)) {
        if (path === "keywords") {
          keywordChange = { set: parseKeywords(value) };
        } else if (path.startsWith("keywords/")) {
          const k = checkKeyword(path.slice(9).replaceAll("~1", "/").replaceAll("~0", "~"), "keywords");
          if (value === true) add.push(k);
          else if (value === null) remove.push(k);
          else throw new SetErrorException("invalidPatch", `Bad value for "${path}".`);
        } else if (path === "mailboxIds") {
          mailboxes = new Set(await parseMailboxIds(value, ctx, accountId));
        } else if (path.startsWith("mailboxIds/")) {
          const raw = path.slice(11).replaceAll("~1", "/").replaceAll("~0", "~");
          const mid = resolveCreationId(raw, ctx);
          if (mid === null) throw invalidProperties(["mailboxIds"], `Unknown creation id "${raw}".`);
          mailboxes ??= new Set(m.mailboxIds);
          if (value === true) mailboxes.add(mid);
          else if (value === null) mailboxes.delete(mid);
          else throw new SetErrorException("invalidPatch", `Bad value for "${path}".`);
        } else {
          // RFC 8621 §4.6: all other properties are immutable.
          throw invalidProperties([path.split("/")[0]!], `"${path}" cannot be changed.`);
        }
      }
      if (keywordChange && (add.length || remove.length)) {
        throw new SetErrorException("invalidPatch", "keywords given whole and by path.");
      }
      if (add.length || remove.length) keywordChange = { add, remove };
      const checked = shared
        ? checkSharedEmailChange(shared, m, keywordChange, mailboxes && [...mailboxes])
        : null;
      try {
        if (mailboxes) {
          const list = checked ?? [...mailboxes];
          await checkMailboxes(list, ctx, accountId);
          await store.setMailboxes(accountId, id, list);
        }
        if (keywordChange) await store.updateKeywords(accountId, [id], keywordChange);
      } catch (error) {
        storeSetError(error);
      }
      return null;
    },
    async destroy(id) {
      if (shared) {
        const [m] = await store.getMessages(accountId, [id]);
        if (!m) throw new SetErrorException("notFound");
        checkSharedEmailDestroy(shared, m);
      }
      const r = await store.destroyMessages(accountId, [id]);
      if (!r.destroyed.includes(id)) throw new SetErrorException("notFound");
    },
  });
  return { accountId, ...result };
}

/** Email/import (RFC 8621 §4.8). */
export const emailImport: MethodHandler = async (args, ctx) => {
  // RFC 9670: into an account shared with the user, with "i" (and the keyword rights) on every
  // target mailbox; the blob is one of theirs or one they may read there.
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const store = ctx.services.server.store;
  const emails = optObject(args, "emails") ?? {};
  if (Object.keys(emails).length > ctx.services.limits.maxObjectsInSet) {
    throw new MethodError("requestTooLarge", "Too many emails.");
  }
  const oldState = viewState(await store.state(accountId, "Email"), access.rights);
  const ifInState = args.ifInState;
  if (typeof ifInState === "string" && ifInState !== oldState) throw new MethodError("stateMismatch");
  const created: Record<string, unknown> = {};
  const notCreated: Record<string, unknown> = {};
  // Validate every entry and store the blobs first; then add all messages in one store call (one
  // commit), falling back to one call per message if the batch fails (e.g. quota).
  const ready: { cid: string; msg: NewMessage; size: number }[] = [];
  const maxSize = ctx.services.server.config.smtp.max_message_size;
  // Bytes of the entries accepted so far: each is checked against the organization's storage with them.
  let pending = 0;
  for (const [cid, raw] of Object.entries(emails)) {
    try {
      if (typeof raw !== "object" || raw === null) throw invalidProperties([], "Bad EmailImport object.");
      const e = raw as Record<string, unknown>;
      if (typeof e.blobId !== "string") throw invalidProperties(["blobId"]);
      const blobId = resolveCreationId(e.blobId, ctx) ?? e.blobId;
      const mailboxIds = await parseMailboxIds(e.mailboxIds, ctx, accountId);
      const keywords = e.keywords === undefined || e.keywords === null ? [] : parseKeywords(e.keywords);
      if (access.rights) checkSharedEmailCreate(access.rights, mailboxIds, keywords);
      const receivedAt = receivedAtOf(e.receivedAt, ctx.services.server.clock.now());
      const blob = await readBlob(ctx.services, accountId, blobId, blobReader(access, ctx.account.id));
      if (!blob) {
        throw new SetErrorException("blobNotFound", `Blob "${blobId}" not found.`, { notFound: [blobId] });
      }
      if (blob.bytes.length > maxSize) {
        throw new SetErrorException("tooLarge", "The message exceeds the maximum message size.", { maxSize });
      }
      // RFC 8621 §4.8: a blob that is not an RFC 5322 message may be rejected with invalidEmail.
      if (!looksLikeMessage(blob.bytes)) {
        throw new SetErrorException("invalidEmail", `Blob "${blobId}" is not an RFC 5322 message.`);
      }
      await checkOrgStorage(ctx, accountId, pending + blob.bytes.length);
      pending += blob.bytes.length;
      const stored = blob.storeBlobId ?? (await store.blobs.put(blob.bytes)).blobId;
      ready.push({
        cid,
        msg: { accountId, mailboxIds, blobId: stored, keywords, receivedAt },
        size: blob.bytes.length,
      });
    } catch (error) {
      if (error instanceof SetErrorException) notCreated[cid] = error.toSetError();
      else throw error;
    }
  }
  const record = (r: { cid: string; size: number }, added: AddedMessage) => {
    ctx.createdIds.set(r.cid, added.id);
    created[r.cid] = {
      id: added.id,
      blobId: messageBlobId(added.id),
      threadId: added.threadId,
      size: r.size,
    };
  };
  let batched = false;
  if (ready.length > 1) {
    try {
      const added = await store.addMessages(ready.map((r) => r.msg));
      ready.forEach((r, i) => record(r, added[i]!));
      batched = true;
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
    }
  }
  if (!batched) {
    for (const r of ready) {
      try {
        const [added] = await store.addMessages([r.msg]).catch(storeSetError);
        record(r, added!);
      } catch (error) {
        if (error instanceof SetErrorException) notCreated[r.cid] = error.toSetError();
        else throw error;
      }
    }
  }
  return {
    accountId,
    oldState,
    newState: viewState(await store.state(accountId, "Email"), access.rights),
    created: Object.keys(created).length ? created : null,
    notCreated: Object.keys(notCreated).length ? notCreated : null,
  };
};

/**
 * Email/copy (RFC 8621 §4.7): between the user's own account and the accounts shared with them
 * (RFC 9670), in either direction, within the rights: the source Email must lie in a mailbox the
 * user may read there, and the target mailboxes need "i" (and "s"/"w" for keywords the client
 * names; keywords copied by default are dropped where the user may not set them, as IMAP COPY
 * does, core/acl/copy.ts). Copies are new Emails sharing the blob.
 */
export const emailCopy: MethodHandler = async (args, ctx) => {
  const to = await accountAccess(args, ctx);
  const accountId = to.accountId;
  // RFC 8620 §5.4: an unknown source account is fromAccountNotFound.
  const from = await accountAccess(args, ctx, "fromAccountId", "fromAccountNotFound");
  const store = ctx.services.server.store;
  const create = optObject(args, "create") ?? {};
  const destroyOriginal = optBool(args, "onSuccessDestroyOriginal", false);
  const oldState = viewState(await store.state(accountId, "Email"), to.rights);
  if (typeof args.ifInState === "string" && args.ifInState !== oldState) {
    throw new MethodError("stateMismatch");
  }
  const created: Record<string, unknown> = {};
  const notCreated: Record<string, unknown> = {};
  const copiedFrom: string[] = [];
  for (const [cid, raw] of Object.entries(create)) {
    try {
      const e = raw as Record<string, unknown> | null;
      if (typeof e?.id !== "string") throw invalidProperties(["id"]);
      const [found] = await store.getMessages(from.accountId, [e.id]);
      const m = visibleMessage(from, found);
      if (!m) throw new SetErrorException("notFound", `Email "${e.id}" not found.`);
      const mailboxIds = await parseMailboxIds(e.mailboxIds, ctx, accountId);
      let keywords = e.keywords === undefined ? m.keywords : parseKeywords(e.keywords);
      if (to.rights) {
        const rights = to.rights;
        if (e.keywords === undefined) {
          keywords = keywords.filter((k) =>
            mailboxIds.every((id) => hasRights(rights.get(id) ?? "", rightsForKeywords([k])))
          );
        }
        checkSharedEmailCreate(rights, mailboxIds, keywords);
      }
      const receivedAt = e.receivedAt === undefined ? m.receivedAt : receivedAtOf(e.receivedAt, m.receivedAt);
      await checkOrgStorage(ctx, accountId, m.size);
      try {
        const [added] = await store.addMessages([{
          accountId,
          mailboxIds,
          blobId: m.blobId,
          keywords,
          receivedAt,
        }]);
        created[cid] = {
          id: added!.id,
          blobId: messageBlobId(added!.id),
          threadId: added!.threadId,
          size: m.size,
        };
        ctx.createdIds.set(cid, added!.id);
        copiedFrom.push(m.id);
      } catch (error) {
        storeSetError(error);
      }
    } catch (error) {
      if (error instanceof SetErrorException) notCreated[cid] = error.toSetError();
      else throw error;
    }
  }
  const copy: Invocation = ["Email/copy", {
    fromAccountId: from.accountId,
    accountId,
    oldState,
    newState: viewState(await store.state(accountId, "Email"), to.rights),
    created: Object.keys(created).length ? created : null,
    notCreated: Object.keys(notCreated).length ? notCreated : null,
  }, ctx.callId];
  if (!destroyOriginal) return [copy];
  const set = await emailSetResult(
    { accountId: from.accountId, destroy: copiedFrom },
    ctx,
    from.accountId,
    from.rights,
  );
  return [copy, ["Email/set", set, ctx.callId]];
};
