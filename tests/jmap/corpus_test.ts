/**
 * Every message of the shared corpus (../shared/corpus/, skipped when absent) is uploaded and
 * imported over JMAP (Email/import), then fetched with bodyStructure, textBody, htmlBody,
 * attachments, bodyValues and headers. Every leaf part's blob must download with the size
 * bodyStructure announced, and hold the part's content as it is in the corpus file: parts served
 * as they stand (7bit/8bit/binary, attached messages) occur byte for byte in the file, and every
 * part's decoded content matches what Python's `email` package (an independent parser) decodes
 * from the same file.
 */
import assert from "node:assert/strict";
import { jmapFixture } from "./_fixture.ts";
import { python } from "../support/line_client.ts";

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

interface Part {
  partId: string | null;
  blobId: string | null;
  size: number;
  type: string;
  subParts?: Part[] | null;
}

function leaves(p: Part, out: Part[] = []): Part[] {
  if (p.subParts && p.subParts.length) p.subParts.forEach((s) => leaves(s, out));
  else if (p.partId !== null) out.push(p);
  return out;
}

/** A leaf part as an independent MIME parser (Python's `email` package) decodes it. */
interface ReferenceLeaf {
  type: string;
  /** Served as it stands in the file (identity encodings, attached messages, x-uuencode). */
  identity: boolean;
  /** Compared byte for byte (base64); otherwise as `loose` text (Python's parser reads lines). */
  exact?: boolean;
  /** SHA-256 of the decoded content (attached messages and x-uuencode: none). */
  sha256?: string;
}

/**
 * Python's `email` parser walks each corpus file: the leaf parts in order (multipart descended,
 * attached messages kept whole), each with its decoded content's size and SHA-256.
 */
const LEAVES_PY = `
import email.policy, hashlib, json, os, re, sys
from email.parser import BytesParser
IDENTITY = ("", "7bit", "8bit", "binary")
def loose(data):
    # Python's parser reads lines (CR, LF and CRLF all end one) and drops the last line ending.
    lines = re.split(rb"\\r\\n|\\r|\\n", data)
    return b"\\n".join(line.rstrip(b" \\t") for line in lines).rstrip(b"\\n")
def leaves(m, acc):
    if m.get_content_maintype() == "multipart" and m.is_multipart():
        for p in m.get_payload():
            leaves(p, acc)
        return
    cte = str(m.get("content-transfer-encoding", "")).strip().lower()
    if m.get_content_maintype() == "message" and m.is_multipart():
        acc.append({"type": m.get_content_type(), "identity": True})
    elif cte not in IDENTITY + ("base64", "quoted-printable"):
        # Not a MIME encoding (x-uuencode…; RFC 2045 §6.1): served as it stands.
        acc.append({"type": m.get_content_type(), "identity": True})
    else:
        data = m.get_payload(decode=True) or b""
        exact = cte == "base64"
        digest = hashlib.sha256(data if exact else loose(data)).hexdigest()
        acc.append({"type": m.get_content_type(), "identity": cte in IDENTITY, "exact": exact, "sha256": digest})
out = {}
for name in sys.argv[2:]:
    with open(os.path.join(sys.argv[1], name), "rb") as fh:
        acc = []
        leaves(BytesParser(policy=email.policy.compat32).parse(fh), acc)
        out[name] = acc
print(json.dumps(out))
`;

async function referenceLeaves(): Promise<Record<string, ReferenceLeaf[]>> {
  return JSON.parse(await python(LEAVES_PY, [CORPUS.pathname, ...files]));
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Text as Python's line-based parser sees it: CR, LF and CRLF each end a line, trailing blanks
 * of a line and line endings at the end dropped (the same as `loose` in LEAVES_PY).
 */
function loose(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  const lines = text.split(/\r\n|\r|\n/).map((l) => l.replace(/[ \t]+$/, ""));
  const joined = lines.join("\n").replace(/\n+$/, "");
  return Uint8Array.from(joined, (c) => c.charCodeAt(0));
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

/**
 * Malformed files on which Python's `email` and Tern build different trees or decode broken
 * base64 differently (missing or unterminated boundaries, unfolded continuation lines, data after
 * base64 padding, garbled base64). Their leaves are checked for size only.
 */
const PARSERS_DIFFER = new Set([
  // A header line without a colon: Tern keeps the header to the blank line (RFC 5322 §2.1, as
  // Dovecot); Python's email starts the body there.
  "0039-stalwart.eml",
  "0186-enmime.eml",
  "0190-enmime.eml",
  "0232-james.eml",
  "0263-mimekit.eml",
  "0323-horde.eml",
  "0325-horde.eml",
  // Bare-CR line endings (old Mac mail): a lone CR is data (RFC 5322 §2.3, as Dovecot), so the
  // message is one header field; Python's email reads CR as a line break.
  "0356-sisimai.eml",
  "0357-sisimai.eml",
  "0358-sisimai.eml",
  "0359-sisimai.eml",
  "0360-sisimai.eml",
  "0361-sisimai.eml",
  "0362-sisimai.eml",
  // Boundaries over 80 characters matched by their first 80 (as Dovecot); Python's email matches
  // them whole.
  "0047-stalwart.eml",
  // Other recoveries.
  "0032-stalwart.eml",
  "0033-stalwart.eml",
  "0034-stalwart.eml",
  "0035-stalwart.eml",
  "0036-stalwart.eml",
  "0037-stalwart.eml",
  "0044-stalwart.eml",
  "0048-stalwart.eml",
  "0050-stalwart.eml",
  "0054-stalwart.eml",
  "0066-stalwart.eml",
  "0067-stalwart.eml",
  "0076-stalwart.eml",
  "0085-imaptest.eml",
  "0086-imaptest.eml",
  "0087-imaptest.eml",
  "0095-imaptest.eml",
  "0123-imaptest.eml",
  "0142-mikelmail.eml",
  "0146-mikelmail.eml",
  "0170-enmime.eml",
  "0180-enmime.eml",
  "0181-enmime.eml",
  "0184-enmime.eml",
  "0188-enmime.eml",
  "0264-mimekit.eml",
  "0273-mimekit.eml",
  "0297-flanker.eml",
  "0300-flanker.eml",
  "0314-phpmimemail.eml",
  "0331-spamscope.eml",
  "0340-sisimai.eml",
  "0341-sisimai.eml",
  "0377-wildduck.eml",
]);

const files = await corpusFiles();
/** Corpus files that are not messages: a paragraph of text and a base64 string, no header field. */
const NOT_MESSAGES = new Set(["0323-horde.eml", "0325-horde.eml"]);

Deno.test({
  name: "Email/import of every corpus message, then Email/get bodyStructure",
  ignore: files.length === 0,
  async fn() {
    const f = await jmapFixture({
      smtp: { max_message_size: 64 * 1024 * 1024 },
      jmap: { max_concurrent_upload: 32 },
    });
    try {
      const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
      // Upload with 32 requests in flight (blob fsyncs overlap).
      const blobIds = new Map<string, string>();
      const queue = [...files];
      await Promise.all(Array.from({ length: 32 }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          const raw = await Deno.readFile(new URL(name, CORPUS));
          const up = await f.fetch(`/jmap/upload/${f.alice.id}/`, {
            method: "POST",
            headers: { authorization: f.basic(), "content-type": "message/rfc822" },
            body: raw,
          });
          assert.equal(up.status, 201, name);
          blobIds.set(name, (await up.json()).blobId);
        }
      }));
      const reference = await referenceLeaves();
      const mismatches: string[] = [];
      let checkedParts = 0;
      // Not RFC 5322 messages (no header field at all): Email/import answers invalidEmail (RFC 8621 §4.8).
      const refused = await f.api([["Email/import", {
        accountId: f.alice.id,
        emails: Object.fromEntries(
          [...NOT_MESSAGES].map((
            name,
          ) => [name, { blobId: blobIds.get(name), mailboxIds: { [inbox!.id]: true } }]),
        ),
      }, "0"]]);
      const notImported = refused.methodResponses[0]![1].notCreated as Record<string, { type: string }>;
      assert.deepEqual(
        Object.values(notImported).map((e) => e.type),
        [...NOT_MESSAGES].map(() => "invalidEmail"),
      );
      const importable = files.filter((n) => !NOT_MESSAGES.has(n));
      for (let i = 0; i < importable.length; i += 16) {
        const batch = importable.slice(i, i + 16);
        const emails = Object.fromEntries(
          batch.map((name, j) => [`m${j}`, { blobId: blobIds.get(name), mailboxIds: { [inbox!.id]: true } }]),
        );
        const r = await f.api([
          ["Email/import", { accountId: f.alice.id, emails }, "0"],
          ["Email/get", {
            accountId: f.alice.id,
            ids: batch.map((_, j) => `#m${j}`),
            properties: [
              "bodyStructure",
              "textBody",
              "htmlBody",
              "attachments",
              "bodyValues",
              "headers",
              "subject",
              "from",
              "sentAt",
              "preview",
              "header:To:asGroupedAddresses",
            ],
            fetchAllBodyValues: true,
          }, "1"],
        ]);
        const [importName, imported] = r.methodResponses[0]!;
        assert.equal(importName, "Email/import", JSON.stringify(imported));
        assert.equal(imported.notCreated, null, JSON.stringify(imported.notCreated));
        const [getName, got] = r.methodResponses[1]!;
        assert.equal(getName, "Email/get", JSON.stringify(got));
        const list = got.list as Record<string, unknown>[];
        assert.equal(list.length, batch.length);
        for (const [j, email] of list.entries()) {
          const name = batch[j]!;
          const bs = email.bodyStructure as Part;
          assert.ok(bs && typeof bs.type === "string", name);
          assert.ok(Array.isArray(email.textBody) && Array.isArray(email.attachments), name);
          const source = await Deno.readFile(new URL(name, CORPUS));
          const expected = reference[name]!;
          const got = leaves(bs);
          if (PARSERS_DIFFER.has(name)) {
            for (const leaf of got) {
              const dl = await f.fetch(`/jmap/download/${f.alice.id}/${leaf.blobId}/x`, {
                headers: { authorization: f.basic() },
              });
              assert.equal(dl.status, 200, `${name} part ${leaf.partId}`);
              assert.equal((await dl.arrayBuffer()).byteLength, leaf.size, `${name} part ${leaf.partId}`);
            }
            continue;
          }
          if (got.length !== expected.length) {
            mismatches.push(`${name}: ${got.length} leaf parts, python's email finds ${expected.length}`);
            continue;
          }
          // Every leaf part's blob is the part's decoded content, as in the corpus file itself.
          for (const [k, leaf] of got.entries()) {
            const want = expected[k]!;
            const where = `${name} part ${leaf.partId} (${leaf.type})`;
            const dl = await f.fetch(`/jmap/download/${f.alice.id}/${leaf.blobId}/x`, {
              headers: { authorization: f.basic() },
            });
            assert.equal(dl.status, 200, where);
            const bytes = new Uint8Array(await dl.arrayBuffer());
            assert.equal(bytes.length, leaf.size, `${where}: size announced in bodyStructure`);
            if (leaf.type.toLowerCase() !== want.type) {
              mismatches.push(`${where}: python's email says ${want.type}`);
              continue;
            }
            if (want.identity && !contains(source, bytes)) {
              mismatches.push(`${where}: not the part's bytes as they stand in the file`);
            }
            if (want.sha256 && (await sha256(want.exact ? bytes : loose(bytes))) !== want.sha256) {
              mismatches.push(`${where}: content differs from python's email's decoding`);
            }
            checkedParts++;
          }
        }
      }
      assert.deepEqual(mismatches, []);
      const agreed = importable.filter((n) => !PARSERS_DIFFER.has(n));
      assert.equal(checkedParts, agreed.reduce((n, name) => n + reference[name]!.length, 0));
      assert.ok(agreed.length >= files.length - PARSERS_DIFFER.size && agreed.length > 300);
    } finally {
      await f.close();
    }
  },
});
