/**
 * Blob/copy (RFC 8620 §6.3). Tern accounts are not shared: copying is within the same account and
 * the blob keeps its id.
 *
 * @module
 */
import { MethodError } from "../errors.ts";
import { type MethodHandler, optStringArray, requireAccount } from "../method_context.ts";
import { readBlob } from "../blobs.ts";

/** Blob/copy (RFC 8620 §6.3). */
export const blobCopy: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  if (args.fromAccountId !== accountId) throw new MethodError("fromAccountNotFound");
  const blobIds = optStringArray(args, "blobIds") ?? [];
  const copied: Record<string, string> = {};
  const notCopied: Record<string, unknown> = {};
  for (const id of blobIds) {
    if (await readBlob(ctx.services, accountId, id)) copied[id] = id;
    else notCopied[id] = { type: "blobNotFound" };
  }
  return {
    fromAccountId: accountId,
    accountId,
    copied: Object.keys(copied).length ? copied : null,
    notCopied: Object.keys(notCopied).length ? notCopied : null,
  };
};
