/**
 * JMAP for Sieve (RFC 9661, `urn:ietf:params:jmap:sieve`): SieveScript/get, /set, /query and
 * /validate over the Store's `sieveScripts` (the same scripts ManageSieve and the CLI manage).
 * Script content travels as blobs: /set reads an uploaded blob, /get hands out the content as an
 * upload of the account (so the download endpoint serves it).
 *
 * @module
 */
import { auditSetResult } from "../../../core/audit/settings_audit.ts";
import { MethodError, SetErrorException } from "../errors.ts";
import {
  getIds,
  getProperties,
  type MethodContext,
  type MethodHandler,
  optObject,
  pick,
  requireAccount,
  resolveCreationId,
} from "../method_context.ts";
import { runSet, setResponse } from "../set.ts";
import { windowResults } from "../query.ts";
import { readBlob } from "../blobs.ts";
import { uploadBlobId } from "../blob_ids.ts";
import type { SieveScriptInfo } from "../../../core/store/records/sieve_scripts.ts";
import { StoreError } from "../../../core/store/types.ts";
import { checkScript, putScript, ScriptError } from "../../../core/sieve/scripts.ts";
import { type SieveLimits, sieveLimits } from "../../../core/sieve/settings.ts";

const PROPERTIES = new Set(["id", "name", "blobId", "isActive"]);
/** Media type of script blobs (RFC 6134 §3). */
const SIEVE_TYPE = "application/sieve";

/** The blob id of a script's content, recorded as the account's upload so it can be downloaded. */
async function contentBlobId(ctx: MethodContext, accountId: string, content: string): Promise<string> {
  const store = ctx.services.server.store;
  const bytes = new TextEncoder().encode(content);
  const { blobId, size } = await store.blobs.put(bytes);
  await ctx.services.uploads.record(accountId, blobId, SIEVE_TYPE, size, ctx.services.server.clock.now());
  return uploadBlobId(blobId);
}

/** The `[sieve]` limits (script size and count). */
function limitsOf(ctx: MethodContext): SieveLimits {
  return sieveLimits(ctx.services.server.config.sieve);
}

/** The script text of a blob the account may read, or a SetError. */
async function blobContent(ctx: MethodContext, accountId: string, blobId: unknown): Promise<string> {
  if (typeof blobId !== "string") {
    throw new SetErrorException("invalidProperties", "blobId is required.", { properties: ["blobId"] });
  }
  const blob = await readBlob(ctx.services, accountId, blobId);
  if (!blob) throw new SetErrorException("blobNotFound", `No blob "${blobId}".`, { notFound: [blobId] });
  const max = limitsOf(ctx).maxScriptBytes;
  if (blob.bytes.length > max) {
    throw new SetErrorException("tooLarge", `Scripts are limited to ${max} octets.`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(blob.bytes);
  } catch {
    throw new SetErrorException("invalidSieve", "The script is not UTF-8.");
  }
}

/** SieveScript/get (RFC 9661 §2.3). */
export const sieveScriptGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const ids = getIds(args, ctx);
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const store = ctx.services.server.store;
  const state = await store.sieveScripts.state(accountId);
  const all = await store.sieveScripts.list(accountId);
  if (ids !== null && ids.length > ctx.services.limits.maxObjectsInGet) {
    throw new MethodError("requestTooLarge");
  }
  const byId = new Map(all.map((s) => [s.id, s]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? all.map((s) => s.id)) {
    const info = byId.get(id);
    if (!info) {
      notFound.push(id);
      continue;
    }
    const obj: Record<string, unknown> = { id: info.id, name: info.name, isActive: info.isActive };
    if (props.includes("blobId")) {
      const script = await store.sieveScripts.getById(accountId, id);
      obj.blobId = script ? await contentBlobId(ctx, accountId, script.content) : null;
    }
    list.push(pick(obj, props));
  }
  return { accountId, state, list, notFound };
};

function scriptError(e: unknown): never {
  if (e instanceof ScriptError) {
    if (e.code === "invalid") throw new SetErrorException("invalidSieve", e.message);
    if (e.code === "tooBig") throw new SetErrorException("tooLarge", e.message);
    if (e.code === "tooMany") throw new SetErrorException("overQuota", e.message);
    throw new SetErrorException("invalidProperties", e.message, { properties: ["name"] });
  }
  if (e instanceof StoreError && e.code === "alreadyExists") {
    throw new SetErrorException("alreadyExists", e.message);
  }
  if (e instanceof StoreError && e.code === "notFound") throw new SetErrorException("notFound");
  throw e;
}

function checkKeys(obj: Record<string, unknown>): void {
  for (const k of Object.keys(obj)) {
    if (k === "id" || k === "isActive") {
      throw new SetErrorException("invalidProperties", `"${k}" is server-set.`, { properties: [k] });
    }
    if (!PROPERTIES.has(k)) {
      throw new SetErrorException("invalidProperties", `Unknown property "${k}".`, { properties: [k] });
    }
  }
  if (obj.name !== undefined && obj.name !== null && typeof obj.name !== "string") {
    throw new SetErrorException("invalidProperties", "name must be a string.", { properties: ["name"] });
  }
}

/** SieveScript/set (RFC 9661 §2.4), with onSuccessActivateScript and onSuccessDeactivateScript. */
export const sieveScriptSet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const store = ctx.services.server.store;
  const scripts = store.sieveScripts;
  const activate = args.onSuccessActivateScript;
  const deactivate = args.onSuccessDeactivateScript;
  if (activate !== undefined && activate !== null && typeof activate !== "string") {
    throw new MethodError("invalidArguments", "onSuccessActivateScript must be an id.");
  }
  if (deactivate !== undefined && deactivate !== null && typeof deactivate !== "boolean") {
    throw new MethodError("invalidArguments", "onSuccessDeactivateScript must be a boolean.");
  }
  const result = await runSet(args, ctx, {
    state: () => scripts.state(accountId),
    async create(_cid, obj) {
      checkKeys(obj);
      const content = await blobContent(ctx, accountId, obj.blobId);
      // RFC 9661 §2.1: without a name the server picks one.
      const name = typeof obj.name === "string" ? obj.name : `script-${crypto.randomUUID().slice(0, 8)}`;
      if (await scripts.get(accountId, name)) {
        throw new SetErrorException("alreadyExists", `A script named "${name}" exists.`);
      }
      const info = await putScript(store, accountId, name, content, limitsOf(ctx)).catch(scriptError);
      return { id: info.id, name: info.name, isActive: false };
    },
    async update(id, patch) {
      checkKeys(patch);
      const current = await scripts.getById(accountId, id);
      if (!current) throw new SetErrorException("notFound");
      let name = current.name;
      if (typeof patch.name === "string" && patch.name !== current.name) {
        if ((await scripts.get(accountId, patch.name)) !== null) {
          throw new SetErrorException("alreadyExists", `A script named "${patch.name}" exists.`);
        }
        if (patch.blobId !== undefined) await blobContent(ctx, accountId, patch.blobId);
        await scripts.rename(accountId, current.name, patch.name).catch(scriptError);
        name = patch.name;
      }
      if (patch.blobId !== undefined) {
        const content = await blobContent(ctx, accountId, patch.blobId);
        await putScript(store, accountId, name, content, limitsOf(ctx)).catch(scriptError);
      }
      return null;
    },
    async destroy(id) {
      const current = await scripts.getById(accountId, id);
      if (!current) throw new SetErrorException("notFound");
      // RFC 9661 §2.4: the active script cannot be destroyed.
      if (current.isActive) throw new SetErrorException("sieveIsActive", "The script is active.");
      await scripts.delete(accountId, current.name).catch(scriptError);
    },
  });
  const failed = result.notCreated !== null || result.notUpdated !== null || result.notDestroyed !== null;
  if (!failed && (typeof activate === "string" || deactivate === true)) {
    const before = (await scripts.active(accountId))?.id ?? null;
    let target: SieveScriptInfo | null = null;
    if (typeof activate === "string") {
      const id = resolveCreationId(activate, ctx);
      const s = id === null ? null : await scripts.getById(accountId, id);
      // RFC 9661 §2.4: an unknown id is ignored.
      if (s) target = s;
    }
    if (target || deactivate === true) {
      await scripts.setActive(accountId, target ? target.name : null);
      const report = (id: string, isActive: boolean) => {
        const createdKey = Object.entries(result.created ?? {}).find(([, v]) => v.id === id)?.[0];
        if (createdKey) result.created![createdKey] = { ...result.created![createdKey], isActive };
        else {result.updated = {
            ...(result.updated ?? {}),
            [id]: { ...(result.updated?.[id] ?? {}), isActive },
          };}
      };
      if (before !== null && before !== target?.id) report(before, false);
      if (target && before !== target.id) report(target.id, true);
      result.newState = await scripts.state(accountId);
    }
  }
  await auditSetResult(ctx.services.server, ctx.account, "sieve", result, {
    ip: ctx.remoteAddress,
    requestId: ctx.sessionId,
  });
  return setResponse(accountId, result);
};

/** SieveScript/query (RFC 9661 §2.5): filter on name (contains) and isActive; sort by name or isActive. */
export const sieveScriptQuery: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const filter = optObject(args, "filter") ?? {};
  for (const k of Object.keys(filter)) {
    if (k !== "name" && k !== "isActive") {
      throw new MethodError("unsupportedFilter", `Unknown filter "${k}".`);
    }
  }
  if (filter.name !== undefined && typeof filter.name !== "string") throw new MethodError("invalidArguments");
  if (filter.isActive !== undefined && typeof filter.isActive !== "boolean") {
    throw new MethodError("invalidArguments");
  }
  const sort = Array.isArray(args.sort) ? args.sort as Record<string, unknown>[] : [];
  for (const s of sort) {
    if (s?.property !== "name" && s?.property !== "isActive") throw new MethodError("unsupportedSort");
  }
  const store = ctx.services.server.store;
  let list = await store.sieveScripts.list(accountId);
  if (typeof filter.name === "string") {
    const needle = (filter.name as string).toLowerCase();
    list = list.filter((s) => s.name.toLowerCase().includes(needle));
  }
  if (typeof filter.isActive === "boolean") list = list.filter((s) => s.isActive === filter.isActive);
  list.sort((a, b) => {
    for (const s of sort) {
      const dir = s.isAscending === false ? -1 : 1;
      const c = s.property === "name"
        ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
        : Number(a.isActive) - Number(b.isActive);
      if (c !== 0) return c * dir;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const window = windowResults(list.map((s) => s.id), args, ctx);
  return {
    accountId,
    queryState: await store.sieveScripts.state(accountId),
    canCalculateChanges: false,
    ...window,
  };
};

/** SieveScript/validate (RFC 9661 §2.6): checks a blob as a script, stores nothing. */
export const sieveScriptValidate: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  if (typeof args.blobId !== "string") throw new MethodError("invalidArguments", "blobId is required.");
  try {
    const content = await blobContent(ctx, accountId, args.blobId);
    const error = checkScript(content, limitsOf(ctx));
    return { accountId, error: error ? { type: "invalidSieve", description: error.message } : null };
  } catch (e) {
    if (e instanceof SetErrorException) return { accountId, error: e.toSetError() };
    throw e;
  }
};
