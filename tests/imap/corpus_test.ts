/**
 * Every message of the shared corpus (../shared/corpus/, skipped when absent) is APPENDed, then
 * BODYSTRUCTURE, ENVELOPE, RFC822.SIZE, BODY[] and every leaf part BODY[n] are fetched. Each
 * literal is read as exactly its announced length; BODY[] must be the file as APPENDed (bare LF
 * may come back as CRLF), RFC822.SIZE its length, and every BODY[n] the size BODYSTRUCTURE gave
 * and a byte-for-byte section of the message.
 */
import assert from "node:assert/strict";
import { ImapFlow } from "imapflow";
import { RawImap, setupImap } from "./_imap_client.ts";

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

async function corpusFiles(): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(CORPUS)) if (e.isFile && e.name.endsWith(".eml")) names.push(e.name);
    return names.sort();
  } catch {
    return [];
  }
}

interface Structure {
  part?: string;
  type?: string;
  size?: number;
  childNodes?: Structure[];
}

/**
 * The leaf parts of a BODYSTRUCTURE (as imapflow parsed it) with their part numbers, numbered by
 * RFC 3501 §6.4.5 (imapflow's own labels go wrong inside an attached message): a multipart's
 * children are prefix.1, prefix.2…; a non-multipart top level is part 1; an attached message
 * (message/*) is one leaf.
 */
function leafParts(s: Structure, prefix = "", out: { part: string; size: number | undefined }[] = []) {
  const multipart = s.type?.toLowerCase().startsWith("multipart/") ?? false;
  if (multipart) {
    (s.childNodes ?? []).forEach((c, i) => leafParts(c, prefix ? `${prefix}.${i + 1}` : `${i + 1}`, out));
  } else {
    out.push({ part: prefix || "1", size: s.size });
  }
  return out;
}

/**
 * Whether `served` is the message as APPENDed: the file's bytes, or (the changes a server may
 * make) the file with bare LF line endings written as CRLF and a lone CR at the very end (an
 * unfinished line ending) dropped.
 */
function servedAsAppended(served: Uint8Array, source: Uint8Array): boolean {
  if (bytesEqual(served, source)) return true;
  const canonical: number[] = [];
  const end = source.at(-1) === 0x0d ? source.length - 1 : source.length;
  for (let i = 0; i < end; i++) {
    if (source[i] === 0x0a && source[i - 1] !== 0x0d) canonical.push(0x0d);
    canonical.push(source[i]!);
  }
  return bytesEqual(served, Uint8Array.from(canonical));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether `needle` occurs in `hay` byte for byte. */
function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  const first = needle[0]!;
  for (
    let i = hay.indexOf(first);
    i !== -1 && i + needle.length <= hay.length;
    i = hay.indexOf(first, i + 1)
  ) {
    let k = 1;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return true;
  }
  return false;
}

let fetchTag = 0;

/**
 * Sends a command and reads its untagged responses, each literal read as exactly the announced
 * number of octets (a wrong announcement breaks the parse of what follows). Returns each
 * response's text (literals as "<literal>") and its literals by the section name before them.
 */
async function fetchLiterals(
  raw: RawImap,
  command: string,
): Promise<{ text: string; literals: Map<string, Uint8Array> }[]> {
  const tag = `f${++fetchTag}`;
  await raw.c.line(`${tag} ${command}`);
  const out: { text: string; literals: Map<string, Uint8Array> }[] = [];
  for (;;) {
    let line = await raw.c.read();
    if (line === null) throw new Error(`EOF after ${JSON.stringify(out.map((r) => r.text))}`);
    if (line.startsWith(`${tag} `)) {
      assert.match(line, new RegExp(`^${tag} OK`));
      return out;
    }
    let text = "";
    const literals = new Map<string, Uint8Array>();
    for (;;) {
      const m = /(\S+) ~?\{(\d+)\}$/.exec(line);
      if (!m) break;
      const bytes = await raw.c.readBytes(Number(m[2]));
      if (bytes === null) throw new Error(`EOF inside a literal after ${text}${line}`);
      literals.set(m[1]!, bytes);
      text += line + "<literal>";
      line = (await raw.c.read()) ?? "";
      // After a literal comes the next item (" ...") or the end of the list (")").
      assert.match(line, /^( |\)$)/, `after a literal: ${JSON.stringify(line.slice(0, 80))}`);
    }
    out.push({ text: text + line, literals });
  }
}

const files = await corpusFiles();

Deno.test({
  name: "imap corpus APPEND then FETCH BODYSTRUCTURE, ENVELOPE and BODY[n]",
  ignore: files.length === 0,
  async fn() {
    const { t, port } = await setupImap({ imap: { max_literal_size: 64 * 1024 * 1024 } });
    const client = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: "u@example.org", pass: "s3cret pass" },
      logger: false,
    });
    const raw = await RawImap.connect(port);
    try {
      // MULTIAPPEND (RFC 3502) with LITERAL+ in batches: one commit per batch keeps the test quick.
      await raw.login();
      let appended = 0;
      for (let i = 0; i < files.length; i += 100) {
        const chunks: Uint8Array[] = [new TextEncoder().encode("m1 APPEND INBOX")];
        for (const name of files.slice(i, i + 100)) {
          const bytes = await Deno.readFile(new URL(name, CORPUS));
          const tilde = bytes.includes(0) ? "~" : "";
          chunks.push(new TextEncoder().encode(` ${tilde}{${bytes.length}+}\r\n`), bytes);
          appended++;
        }
        chunks.push(new TextEncoder().encode("\r\n"));
        for (const c of chunks) await raw.c.sendBytes(c);
        const reply = await raw.until("m1");
        assert.match(reply.at(-1)!, /^TAG OK \[APPENDUID \d+ [\d:,]+\] APPEND completed$/, reply.join("\n"));
      }
      await client.connect();
      const lock = await client.getMailboxLock("INBOX");
      const structures = new Map<number, Structure>();
      try {
        for await (
          const m of client.fetch("1:*", { uid: true, envelope: true, bodyStructure: true, size: true })
        ) {
          assert.ok(m.envelope, `envelope of ${m.uid}`);
          assert.ok(m.bodyStructure, `bodystructure of ${m.uid}`);
          structures.set(m.uid, m.bodyStructure as Structure);
        }
      } finally {
        lock.release();
      }
      assert.equal(structures.size, appended);
      // UIDs were assigned in APPEND order: the i-th UID holds the i-th file.
      const uids = [...structures.keys()].sort((a, b) => a - b);
      assert.ok((await raw.cmd("SELECT INBOX")).at(-1)!.startsWith("TAG OK"));
      let checkedParts = 0;
      for (const [i, uid] of uids.entries()) {
        const name = files[i]!;
        const source = await Deno.readFile(new URL(name, CORPUS));
        const leaves = leafParts(structures.get(uid)!);
        const sections = ["BODY.PEEK[]", ...leaves.map((p) => `BODY.PEEK[${p.part}]`)];
        const res = await fetchLiterals(raw, `UID FETCH ${uid} (RFC822.SIZE ${sections.join(" ")})`);
        assert.equal(res.length, 1, `${name}: one FETCH response`);
        const { text, literals } = res[0]!;
        // The whole message: the bytes APPENDed, and RFC822.SIZE is its length.
        const whole = literals.get("BODY[]");
        assert.ok(whole, `${name}: BODY[] in ${text}`);
        assert.ok(servedAsAppended(whole, source), `${name}: BODY[] differs from the file`);
        assert.equal(Number(/RFC822\.SIZE (\d+)/.exec(text)?.[1]), whole.length, `${name}: RFC822.SIZE`);
        // Every leaf part: the size BODYSTRUCTURE announced, and bytes that stand in the message.
        for (const leaf of leaves) {
          const body = literals.get(`BODY[${leaf.part}]`);
          assert.ok(body, `${name}: BODY[${leaf.part}] in ${text}`);
          assert.equal(body.length, leaf.size, `${name}: BODY[${leaf.part}] size vs BODYSTRUCTURE`);
          assert.ok(contains(whole, body), `${name}: BODY[${leaf.part}] is not a section of the message`);
          checkedParts++;
        }
      }
      assert.ok(checkedParts >= files.length, `${checkedParts} parts checked`);
      await client.logout();
    } finally {
      raw.close();
      client.close();
      await t.close();
    }
  },
});
