/**
 * Shared pieces of the import/export tests: the corpus as the bytes an importer must store, and a
 * dump of an account (folder, flags, date, bytes) read back through the Store.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { CORPUS_DIR, corpusFiles } from "../interop/_corpus.ts";
import { lfToCrlf } from "../../core/mime/line_endings.ts";
import type { Store } from "../../core/store/store.ts";
import type { Account } from "../../core/store/types.ts";
import { mailboxPath } from "../../core/transfer/exporter.ts";

/** A corpus file's path. */
export function corpusPath(name: string): string {
  return new URL(name, CORPUS_DIR).pathname;
}

/** Names of the corpus messages. */
export async function corpusNames(): Promise<string[]> {
  return await corpusFiles();
}

/** SHA-256 hex of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The comparable form of a message: CRLF line endings, a leading mbox `From ` line removed (mbox
 * writers take it as the separator), trailing line endings removed.
 */
export function comparable(raw: Uint8Array): string {
  let b = raw;
  if (b.length > 5 && new TextDecoder().decode(b.subarray(0, 5)) === "From ") {
    const nl = b.indexOf(0x0a);
    b = nl === -1 ? new Uint8Array() : b.subarray(nl + 1);
  }
  let c = lfToCrlf(b);
  // Trailing line ends (CRLF, and the bare CRs of old Mac files) are the container's, not the message's.
  while (c.length > 0 && (c[c.length - 1] === 0x0d || c[c.length - 1] === 0x0a)) {
    c = c.subarray(0, c.length - 1);
  }
  return sha256(c);
}

/**
 * `comparable` of a message as an mbox import stores it: the mbox state fields (Status, X-Status,
 * X-Keywords, X-UID, X-IMAP, X-IMAPbase) in its header are mbox metadata and are not kept (as
 * Dovecot's mbox reading does).
 */
export function comparableFromMbox(raw: Uint8Array): string {
  // One code unit per byte (TextDecoder's "latin1" is windows-1252 and would remap 0x80–0x9F).
  let text = "";
  for (let i = 0; i < raw.length; i += 8192) text += String.fromCharCode(...raw.subarray(i, i + 8192));
  const end = text.search(/\r?\n\r?\n/);
  const head = end === -1 ? text : text.slice(0, end);
  const kept = (head + "\n")
    // Lines start after LF only (a JS /m "^" would also match after a bare CR).
    .replace(/(?<=^|\n)(status|x-status|x-keywords|x-uid|x-imap|x-imapbase):[^\n]*\n(?:[ \t][^\n]*\n)*/gi, "")
    .slice(0, -1);
  const out = kept + (end === -1 ? "" : text.slice(end));
  return comparable(Uint8Array.from(out, (c) => c.charCodeAt(0)));
}

/** One stored message as the tests compare it. */
export interface Dumped {
  folder: string;
  keywords: string[];
  receivedAt: number;
  hash: string;
  size: number;
}

/** Every message of the account, sorted by folder then hash. */
export async function dumpAccount(store: Store, account: Account): Promise<Dumped[]> {
  const out: Dumped[] = [];
  const all = await store.listMailboxes(account.id);
  for (const mb of all) {
    const placements = await store.listPlacements(account.id, mb.id);
    const messages = new Map(
      (await store.getMessages(account.id, placements.map((p) => p.messageId))).map((m) => [m.id, m]),
    );
    for (const p of placements) {
      const m = messages.get(p.messageId)!;
      const raw = (await store.blobs.get(m.blobId))!;
      out.push({
        folder: mailboxPath(all, mb).join("/"),
        keywords: [...p.keywords].sort(),
        receivedAt: p.receivedAt.getTime(),
        hash: comparable(raw),
        size: raw.length,
      });
    }
  }
  return out.sort((a, b) =>
    a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0
  );
}
