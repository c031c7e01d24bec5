/**
 * Identity/get, /changes, /set (RFC 8621 §6). Only addresses the account may send as (its own
 * address and aliases that target it, or any address for `smtp.sender_any_accounts`).
 *
 * @module
 */
import { invalidProperties, SetErrorException } from "../errors.ts";
import {
  getIds,
  getProperties,
  type MethodContext,
  type MethodHandler,
  pick,
  requireAccount,
} from "../method_context.ts";
import { standardChanges } from "../changes.ts";
import { applyPatch, runSet, setResponse } from "../set.ts";
import { auditSettings } from "../../../core/audit/settings_audit.ts";
import type { Identity, IdentityInput } from "../../../core/store/records/identities.ts";

const PROPERTIES = new Set([
  "id",
  "name",
  "email",
  "replyTo",
  "bcc",
  "textSignature",
  "htmlSignature",
  "mayDelete",
]);

/** Whether the account may send as `address` (RFC 8621 §6: server-enforced). */
export async function maySendAs(ctx: MethodContext, address: string): Promise<boolean> {
  const a = address.toLowerCase();
  if (
    ctx.services.server.config.smtp.sender_any_accounts.map((s) => s.toLowerCase()).includes(
      ctx.account.address,
    )
  ) {
    return true;
  }
  const allowed = await ctx.services.server.store.sendableAddresses(ctx.account.id);
  return allowed.some((s) => {
    const x = s.toLowerCase();
    return x === a || (x.startsWith("*@") && a.endsWith(x.slice(1)));
  });
}

function identities(ctx: MethodContext): Promise<Identity[]> {
  return ctx.services.identities.list(ctx.account.id, ctx.account);
}

/** Identity/get (RFC 8621 §6.1). */
export const identityGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const ids = getIds(args, ctx);
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const state = await ctx.services.server.store.state(accountId, "Identity");
  const all = await identities(ctx);
  const byId = new Map(all.map((i) => [i.id, i]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? all.map((i) => i.id)) {
    const i = byId.get(id);
    if (i) list.push(pick(i as unknown as Record<string, unknown>, props));
    else notFound.push(id);
  }
  return { accountId, state, list, notFound };
};

/** Identity/changes (RFC 8621 §6.2). */
export const identityChanges: MethodHandler = (args, ctx) => standardChanges(args, ctx, "Identity");

function parseInput(obj: Record<string, unknown>, creating: boolean): IdentityInput {
  const out: IdentityInput = {};
  const addrs = (v: unknown, k: string) => {
    if (v === null) return null;
    if (!Array.isArray(v) || !v.every((a) => typeof a?.email === "string")) throw invalidProperties([k]);
    return v.map((a) => ({ name: typeof a.name === "string" ? a.name : null, email: a.email as string }));
  };
  for (const [k, v] of Object.entries(obj)) {
    switch (k) {
      case "name":
      case "textSignature":
      case "htmlSignature":
        if (typeof v !== "string") throw invalidProperties([k]);
        out[k] = v;
        break;
      case "email":
        if (!creating) throw invalidProperties(["email"], "email cannot be changed.");
        if (typeof v !== "string" || !v.includes("@")) throw invalidProperties(["email"]);
        out.email = v;
        break;
      case "replyTo":
      case "bcc":
        out[k] = addrs(v, k);
        break;
      case "id":
      case "mayDelete":
        if (creating) throw invalidProperties([k], `"${k}" is server-set.`);
        break;
      default:
        throw invalidProperties([k], `Unknown property "${k}".`);
    }
  }
  return out;
}

/** Identity/set (RFC 8621 §6.3). */
export const identitySet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const store = ctx.services.server.store;
  const data = ctx.services.identities;
  await identities(ctx); // the default identity exists before any change
  const result = await runSet(args, ctx, {
    state: () => store.state(accountId, "Identity"),
    async create(_cid, obj) {
      const input = parseInput(obj, true);
      if (!input.email) throw invalidProperties(["email"], "email is required.");
      if (!await maySendAs(ctx, input.email)) {
        throw new SetErrorException("forbiddenFrom", `This account may not send as "${input.email}".`);
      }
      const created = await data.create(accountId, { ...input, email: input.email });
      await store.recordChange(accountId, "Identity", { created: [created.id] });
      await auditSettings(ctx.services.server, ctx.account, {
        action: "jmap.identity.create",
        target: created.id,
        after: { email: created.email },
      }, { ip: ctx.remoteAddress, requestId: ctx.sessionId });
      return { id: created.id, mayDelete: created.mayDelete };
    },
    async update(id, patch) {
      const current = await data.get(accountId, id);
      if (!current) throw new SetErrorException("notFound");
      const next = applyPatch(current as unknown as Record<string, unknown>, patch);
      const changed = Object.fromEntries(
        Object.entries(next).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify((current as never)[k])),
      );
      if (changed.id !== undefined || changed.mayDelete !== undefined) {
        throw invalidProperties(Object.keys(changed).filter((k) => k === "id" || k === "mayDelete"));
      }
      await data.update(accountId, id, parseInput(changed, false));
      await store.recordChange(accountId, "Identity", { updated: [id] });
      await auditSettings(ctx.services.server, ctx.account, {
        action: "jmap.identity.update",
        target: id,
        after: { changed: Object.keys(changed) },
      }, { ip: ctx.remoteAddress, requestId: ctx.sessionId });
      return null;
    },
    async destroy(id) {
      const current = await data.get(accountId, id);
      if (!current) throw new SetErrorException("notFound");
      if (!current.mayDelete) {
        throw new SetErrorException("forbidden", "The default identity cannot be deleted.");
      }
      await data.delete(accountId, id);
      await store.recordChange(accountId, "Identity", { destroyed: [id] });
      await auditSettings(ctx.services.server, ctx.account, { action: "jmap.identity.destroy", target: id }, {
        ip: ctx.remoteAddress,
        requestId: ctx.sessionId,
      });
    },
  });
  return setResponse(accountId, result);
};
