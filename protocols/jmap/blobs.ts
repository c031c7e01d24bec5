/**
 * Reading blobs by JMAP blob id with the account's access checked (RFC 8620 §6.2).
 *
 * @module
 */
import { parseMime } from "../../core/mime/parse.ts";
import type { MimePart } from "../../core/mime/types.ts";
import { decodedPartBytes } from "./body_structure.ts";
import { parseBlobId } from "./blob_ids.ts";
import type { JmapServices } from "./services.ts";
import type { MailboxId } from "../../core/store/types.ts";

/** A blob's bytes and, when known, its media type. */
export interface BlobContent {
  bytes: Uint8Array;
  type: string | null;
  /** Content address in the blob store when the bytes are stored as-is. */
  storeBlobId: string | null;
}

function findSection(root: MimePart, section: string): MimePart | null {
  if ((root.section === section) || (root.section === "" && section === "1" && root.type !== "multipart")) {
    return root;
  }
  for (const c of root.children) {
    const hit = findSection(c, section);
    if (hit) return hit;
  }
  return null;
}

/**
 * Who reads a blob of an account shared with them (RFC 9670): the user, whose own uploads they may
 * use there, and their rights by mailbox in that account (a message blob must lie in a mailbox they
 * may read, "r").
 */
export interface BlobReader {
  userId: string;
  rights: ReadonlyMap<MailboxId, string>;
}

/**
 * The blob's content if the account may read it, else null (unknown and forbidden look alike).
 * With `reader`, the account is shared with that user and their rights decide.
 */
export async function readBlob(
  services: JmapServices,
  accountId: string,
  blobId: string,
  reader?: BlobReader,
): Promise<BlobContent | null> {
  const ref = parseBlobId(blobId);
  if (!ref) return null;
  const store = services.server.store;
  if (reader && ref.kind !== "upload") {
    // RFC 9670 with RFC 4314 §4: only a message in a mailbox the user may read.
    const [m] = await store.getMessages(accountId, [ref.messageId]);
    if (!m || !m.mailboxIds.some((id) => reader.rights.get(id)?.includes("r"))) return null;
  }
  switch (ref.kind) {
    case "upload": {
      // An upload belongs to the user who made it, whichever account they name (RFC 8620 §6.1).
      const rec = await services.uploads.get(reader?.userId ?? accountId, ref.blobId);
      if (!rec) return null;
      const bytes = await store.blobs.get(ref.blobId);
      return bytes ? { bytes, type: rec.type, storeBlobId: ref.blobId } : null;
    }
    case "message": {
      const [m] = await store.getMessages(accountId, [ref.messageId]);
      if (!m) return null;
      const bytes = await store.readMessage(accountId, m.id);
      return bytes ? { bytes, type: "message/rfc822", storeBlobId: m.blobId } : null;
    }
    case "part": {
      const raw = await store.readMessage(accountId, ref.messageId);
      if (!raw) return null;
      const part = findSection(parseMime(raw), ref.section);
      if (!part || part.type === "multipart") return null;
      return { bytes: decodedPartBytes(raw, part), type: `${part.type}/${part.subtype}`, storeBlobId: null };
    }
  }
}
