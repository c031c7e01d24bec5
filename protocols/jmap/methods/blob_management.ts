/**
 * JMAP Blob management (RFC 9404): Blob/upload (blobs built from inline data and ranges of other
 * blobs), Blob/get (content, digests, size, ranges) and Blob/lookup (which Emails, Mailboxes and
 * Threads reference a blob). Every blob is read through `readBlob`, which checks the account: a
 * blob of another account is not found.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { decodeBase64, encodeBase64 } from "../../../core/mime/transfer_encoding.ts";
import { parseBlobId, uploadBlobId } from "../blob_ids.ts";
import { Capability, DIGEST_ALGORITHMS, LOOKUP_TYPE_NAMES, MAX_DATA_SOURCES } from "../capabilities.ts";
import { readBlob } from "../blobs.ts";
import { MethodError, type SetError, SetErrorException } from "../errors.ts";
import {
  getProperties,
  type MethodContext,
  type MethodHandler,
  optObject,
  optStringArray,
  optUInt,
  requireAccount,
  resolveCreationId,
} from "../method_context.ts";

const NODE_HASH: Record<string, string> = { "sha": "sha1", "sha-256": "sha256" };

function setError(type: SetError["type"], description: string, extra: Record<string, unknown> = {}) {
  return new SetErrorException(type, description, extra);
}

/** The bytes of one DataSourceObject (RFC 9404 §4.2). */
async function sourceBytes(source: unknown, ctx: MethodContext, accountId: string): Promise<Uint8Array> {
  if (typeof source !== "object" || source === null || Array.isArray(source)) {
    throw setError("invalidArguments", "Each data source must be an object.");
  }
  const s = source as Record<string, unknown>;
  const kinds = ["data:asText", "data:asBase64", "blobId"].filter((k) => s[k] !== undefined && s[k] !== null);
  if (kinds.length !== 1) {
    throw setError(
      "invalidArguments",
      "A data source has exactly one of data:asText, data:asBase64, blobId.",
    );
  }
  const kind = kinds[0]!;
  const value = s[kind];
  if (typeof value !== "string") {
    throw setError("invalidArguments", `"${kind}" must be a string.`);
  }
  if (kind === "data:asText") {
    // Text that is not well-formed UTF-16 (a lone surrogate) has no UTF-8 form: not created.
    if (!value.isWellFormed()) throw setError("invalidArguments", "data:asText is not valid Unicode.");
    return new TextEncoder().encode(value);
  }
  if (kind === "data:asBase64") {
    // RFC 4648 §4 base64, padded, no line breaks.
    if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
      throw setError("invalidArguments", "data:asBase64 is not valid base64.");
    }
    return decodeBase64(value);
  }
  // A blobId source, maybe a creation id of an earlier blob in this request (RFC 9404 §4.2).
  const blobId = resolveCreationId(value, ctx);
  const blob = blobId === null ? null : await readBlob(ctx.services, accountId, blobId);
  if (!blob) throw setError("notFound", `Blob ${value} not found.`);
  const offset = uintField(s, "offset") ?? 0;
  const length = uintField(s, "length");
  const end = length === null ? blob.bytes.length : offset + length;
  // RFC 9404 §4.2: a range that cannot be fully satisfied makes the creation invalid.
  if (offset > blob.bytes.length || end > blob.bytes.length) {
    throw setError("invalidArguments", "offset/length reach past the end of the blob.");
  }
  return blob.bytes.subarray(offset, end);
}

function uintField(s: Record<string, unknown>, name: string): number | null {
  const v = s[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw setError("invalidArguments", `"${name}" must be an unsigned integer.`);
  }
  return v;
}

/** Blob/upload (RFC 9404 §4.2). */
export const blobUpload: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const create = optObject(args, "create") ?? {};
  const entries = Object.entries(create);
  if (entries.length > ctx.services.limits.maxObjectsInSet) {
    throw new MethodError(
      "requestTooLarge",
      `At most ${ctx.services.limits.maxObjectsInSet} blobs per call.`,
    );
  }
  const maxSize = ctx.services.limits.maxSizeUpload;
  const created: Record<string, unknown> = {};
  const notCreated: Record<string, SetError> = {};
  // In order: a later creation may use an earlier one as "#creationId" (RFC 8620 §5.3).
  for (const [creationId, upload] of entries) {
    try {
      if (typeof upload !== "object" || upload === null || Array.isArray(upload)) {
        throw setError("invalidProperties", "An UploadObject must be an object.");
      }
      const u = upload as Record<string, unknown>;
      for (const key of Object.keys(u)) {
        if (key !== "data" && key !== "type") {
          throw setError("invalidProperties", `Unknown property "${key}".`, { properties: [key] });
        }
      }
      if (!Array.isArray(u.data)) {
        throw setError("invalidProperties", '"data" must be an array.', { properties: ["data"] });
      }
      if (u.type !== undefined && u.type !== null && typeof u.type !== "string") {
        throw setError("invalidProperties", '"type" must be a string.', { properties: ["type"] });
      }
      // RFC 9404 §4.1 maxDataSources.
      if (u.data.length > MAX_DATA_SOURCES) {
        throw setError("tooLarge", `At most ${MAX_DATA_SOURCES} data sources (maxDataSources).`);
      }
      const parts: Uint8Array[] = [];
      let size = 0;
      for (const source of u.data) {
        const bytes = await sourceBytes(source, ctx, accountId);
        size += bytes.length;
        // RFC 9404 §4.1 maxSizeBlobSet.
        if (size > maxSize) throw setError("tooLarge", `The blob would exceed maxSizeBlobSet (${maxSize}).`);
        parts.push(bytes);
      }
      const all = new Uint8Array(size);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      const type = typeof u.type === "string" && u.type !== "" ? u.type : "application/octet-stream";
      // The blob store fsyncs before put resolves: the blob is durable before we answer.
      const { blobId: storeId } = await ctx.services.server.store.blobs.put(all);
      await ctx.services.uploads.record(accountId, storeId, type, size, ctx.services.server.clock.now());
      const id = uploadBlobId(storeId);
      ctx.createdIds.set(creationId, id);
      created[creationId] = { id, type, size };
    } catch (e) {
      if (e instanceof SetErrorException) notCreated[creationId] = e.toSetError();
      else throw e;
    }
  }
  return {
    accountId,
    created: Object.keys(created).length ? created : null,
    notCreated: Object.keys(notCreated).length ? notCreated : null,
  };
};

const GET_PROPERTIES: ReadonlySet<string> = new Set([
  "id",
  "data",
  "data:asText",
  "data:asBase64",
  "size",
  ...DIGEST_ALGORITHMS.map((a) => `digest:${a}`),
]);

/** Blob/get (RFC 9404 §4.3). */
export const blobGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const ids = optStringArray(args, "ids");
  if (ids === null) throw new MethodError("invalidArguments", '"ids" is required: blobs cannot be listed.');
  if (ids.length > ctx.services.limits.maxObjectsInGet) {
    throw new MethodError("requestTooLarge", `At most ${ctx.services.limits.maxObjectsInGet} ids per /get.`);
  }
  // RFC 9404 §4.3: the default properties are "data" and "size".
  const properties = getProperties(args, GET_PROPERTIES) ?? ["data", "size"];
  const offset = optUInt(args, "offset") ?? 0;
  const length = optUInt(args, "length");
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const requested of ids) {
    const id = resolveCreationId(requested, ctx);
    const blob = id === null ? null : await readBlob(ctx.services, accountId, id);
    if (!blob || id === null) {
      notFound.push(requested);
      continue;
    }
    const all = blob.bytes;
    const start = Math.min(offset, all.length);
    const end = length === null ? all.length : Math.min(all.length, offset + length);
    const range = all.subarray(start, end);
    const out: Record<string, unknown> = { id };
    // RFC 9404 §4.3: isTruncated when the requested range reaches past the end of the blob.
    if (offset > all.length || (length !== null && offset + length > all.length)) out.isTruncated = true;
    let text: string | null | undefined;
    const asText = () => {
      if (text === undefined) {
        try {
          text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(range);
        } catch {
          text = null;
        }
      }
      return text;
    };
    for (const p of properties) {
      switch (p) {
        case "data:asText":
          out[p] = asText();
          if (asText() === null) out.isEncodingProblem = true;
          break;
        case "data:asBase64":
          out[p] = encodeBase64(range, 0);
          break;
        case "data":
          // Text when the bytes are UTF-8, else base64 with isEncodingProblem.
          if (asText() !== null) out["data:asText"] = asText();
          else {
            out["data:asBase64"] = encodeBase64(range, 0);
            out.isEncodingProblem = true;
          }
          break;
        case "size":
          out.size = all.length;
          break;
        case "id":
          break;
        default: {
          // digest:<algorithm> of the selected range, base64 (RFC 9404 §4.3).
          const algorithm = NODE_HASH[p.slice("digest:".length)]!;
          out[p] = createHash(algorithm).update(range).digest("base64");
        }
      }
    }
    list.push(out);
  }
  return { accountId, list, notFound };
};

/** Blob/lookup (RFC 9404 §4.4). */
export const blobLookup: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const typeNames = optStringArray(args, "typeNames");
  const ids = optStringArray(args, "ids");
  if (typeNames === null || ids === null) {
    throw new MethodError("invalidArguments", '"typeNames" and "ids" are required.');
  }
  if (ids.length > ctx.services.limits.maxObjectsInGet) {
    throw new MethodError("requestTooLarge", `At most ${ctx.services.limits.maxObjectsInGet} ids per call.`);
  }
  for (const t of typeNames) {
    // RFC 9404 §4.4: an unknown type name is an unknownDataType error.
    // Email, Mailbox and Thread are defined by the mail capability, which the request must use.
    if (!LOOKUP_TYPE_NAMES.includes(t) || !ctx.using.has(Capability.mail)) {
      throw new MethodError("unknownDataType", `Blob/lookup does not know "${t}".`);
    }
  }
  const store = ctx.services.server.store;
  let all: Awaited<ReturnType<typeof store.getMessages>> | null = null;
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const requested of ids) {
    const id = resolveCreationId(requested, ctx);
    const blob = id === null ? null : await readBlob(ctx.services, accountId, id);
    const ref = id === null ? null : parseBlobId(id);
    if (!blob || !ref || id === null) {
      notFound.push(requested);
      continue;
    }
    let messages;
    if (ref.kind === "upload") {
      // Emails whose raw message is these bytes (e.g. imported from this upload).
      if (all === null) {
        const every = await store.queryMessages(accountId, {});
        all = await store.getMessages(accountId, every);
      }
      messages = all.filter((m) => m.blobId === ref.blobId);
    } else {
      // The Email whose message or body part this blob is.
      messages = await store.getMessages(accountId, [ref.messageId]);
    }
    const matchedIds: Record<string, string[]> = {};
    for (const t of typeNames) {
      const found = new Set<string>();
      for (const m of messages) {
        if (t === "Email") found.add(m.id);
        else if (t === "Thread") found.add(m.threadId);
        else for (const mb of m.mailboxIds) found.add(mb);
      }
      matchedIds[t] = [...found];
    }
    list.push({ id, matchedIds });
  }
  return { accountId, list, notFound };
};
