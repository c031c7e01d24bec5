/**
 * Import from any IMAP server: logs in with the `imapflow` client (a maintained IMAP client, the
 * one Tern's own tests drive it with), lists the folders (with their RFC 6154 special-use roles),
 * and fetches each folder's messages with flags and internal dates, one message in memory at a time.
 *
 * @module
 */
import { ImapFlow } from "imapflow";
import type { SourceProgress, TransferItem, TransferSource } from "./types.ts";

/** Where and how to log in. */
export interface ImapSourceOptions {
  host: string;
  port: number;
  /** "tls": implicit TLS (imaps); "starttls": STARTTLS required; "none": plain text (loopback tests only). */
  security: "tls" | "starttls" | "none";
  user: string;
  password: string;
  /** Verify the server's certificate (default true). */
  verifyCertificate?: boolean;
  /** Largest message fetched; larger ones are skipped. */
  maxMessage: number;
  onSkip?: (s: { folder: string[]; reason: string }) => void;
}

/** Parses `imap://host[:port]` or `imaps://host[:port]`. */
export function parseImapUrl(url: string): { host: string; port: number; security: "tls" | "starttls" } {
  const m = /^(imaps?):\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?\/?$/i.exec(url.trim());
  if (!m) throw new RangeError(`Not an IMAP URL (imap://host[:port] or imaps://host[:port]): ${url}`);
  const tls = m[1]!.toLowerCase() === "imaps";
  return {
    host: m[2]!.replace(/^\[|\]$/g, ""),
    port: m[3] ? Number(m[3]) : tls ? 993 : 143,
    security: tls ? "tls" : "starttls",
  };
}

/** Messages of every selectable folder of an IMAP account. */
export class ImapSource implements TransferSource {
  readonly #opts: ImapSourceOptions;
  #bytes = 0;
  #total: number | undefined;

  /** @param opts server, credentials and limits */
  constructor(opts: ImapSourceOptions) {
    this.#opts = opts;
  }

  /** Bytes fetched and the messages counted with STATUS. */
  progress(): SourceProgress {
    return { bytes: this.#bytes, totalMessages: this.#total };
  }

  /** Folder by folder, in the server's LIST order, messages by UID. */
  async *items(): AsyncGenerator<TransferItem> {
    const o = this.#opts;
    const client = new ImapFlow({
      host: o.host,
      port: o.port,
      secure: o.security === "tls",
      doSTARTTLS: o.security === "starttls" ? true : o.security === "none" ? false : undefined,
      auth: { user: o.user, pass: o.password },
      tls: { rejectUnauthorized: o.verifyCertificate !== false },
      logger: false,
    });
    await client.connect();
    try {
      const folders = (await client.list()).filter((f) =>
        !f.flags.has("\\Noselect") && !f.flags.has("\\NonExistent")
      );
      let total = 0;
      for (const f of folders) {
        const status = await client.status(f.path, { messages: true });
        total += status ? status.messages ?? 0 : 0;
      }
      this.#total = total;
      for (const f of folders) {
        const folder = f.delimiter ? f.path.split(f.delimiter) : [f.path];
        const mailbox = await client.mailboxOpen(f.path, { readOnly: true });
        if (mailbox.exists === 0) continue;
        for await (
          const msg of client.fetch("1:*", {
            uid: true,
            flags: true,
            internalDate: true,
            size: true,
            source: true,
          })
        ) {
          if (!msg.source || (msg.size ?? msg.source.length) > o.maxMessage) {
            o.onSkip?.({ folder, reason: `UID ${msg.uid}: larger than ${o.maxMessage} bytes` });
            continue;
          }
          this.#bytes += msg.source.length;
          yield {
            folder,
            raw: new Uint8Array(msg.source.buffer, msg.source.byteOffset, msg.source.byteLength),
            flags: [...(msg.flags ?? [])].filter((x) => x !== "\\Recent"),
            internalDate: msg.internalDate instanceof Date ? msg.internalDate : undefined,
            specialUse: f.specialUse || undefined,
          };
        }
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
  }
}
