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

/** The blob's content if the account may read it, else null (unknown and forbidden look alike). */
export async function readBlob(
  services: JmapServices,
  accountId: string,
  blobId: string,
): Promise<BlobContent | null> {
  const ref = parseBlobId(blobId);
  if (!ref) return null;
  const store = services.server.store;
  switch (ref.kind) {
    case "upload": {
      const rec = await services.uploads.get(accountId, ref.blobId);
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
