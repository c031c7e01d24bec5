/**
 * PREVIEW differential test against Dovecot 2.3.19 (which advertises PREVIEW, RFC 8970): the
 * corpus (`../shared/corpus`) and crafted messages are APPENDed to both servers and
 * `FETCH 1:* (PREVIEW)` runs on both.
 *
 * The previews differ by design, so the test does not ask for equal text everywhere:
 * - Dovecot cuts at 200 characters, Tern at RFC 8970's 256 (the JMAP preview, RFC 8621 §4.1.4);
 * - Dovecot leaves out quoted lines ("> …") and HTML it reads differently; Tern's preview is the
 *   JMAP one, the first text of the message.
 * - Dovecot sometimes keeps whitespace at the start (e.g. no-break spaces), which RFC 8970 §3.3
 *   says a preview should not have; Tern's never has it.
 * What must hold: every Tern preview is at most 256 characters, whitespace collapsed and none at
 * either end (RFC 8970 §3.3), and for the crafted plain-text messages (short, no quoting) the two
 * servers answer byte for byte the same. The corpus agreement (Dovecot's preview a prefix of
 * Tern's) is reported and must stay above a floor.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, fetchItems, type ImapWire, octets, startDovecot, startTern } from "./_dovecot.ts";
import { CORPUS_DIR, corpusFiles } from "./_corpus.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const msg = (headers: string, body: string) => enc.encode(`${headers}\n\n${body}`.replaceAll("\n", "\r\n"));

/** Short plain-text messages, no quoting: both servers must answer exactly the same. */
const CRAFTED: Uint8Array[] = [
  msg("Subject: a", "  Hello   world,\n\n\tsecond line.  \n"),
  msg(
    "Subject: b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit",
    "Grüße aus Köln\n",
  ),
  msg(
    "Subject: c\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable",
    "caf=E9 cr=E8me\n",
  ),
  msg("Subject: d\nContent-Type: image/png\nContent-Transfer-Encoding: base64", "iVBORw0KGgo=\n"),
  msg("Subject: e", ""),
];

async function previews(w: ImapWire, count: number): Promise<string[]> {
  const out: string[] = new Array(count).fill("(missing)");
  const rs = await w.cmd("FETCH 1:* (PREVIEW)");
  assert.match(rs.at(-1)!.text, /^TAG OK/);
  for (const r of rs) {
    const f = fetchItems(r);
    const v = f?.items.get("PREVIEW");
    if (!f || !v) continue;
    out[f.seq - 1] = v.kind === "string" ? dec.decode(v.bytes) : v.kind === "nil" ? "(NIL)" : "(?)";
  }
  return out;
}

async function run(w: ImapWire, messages: Uint8Array[]): Promise<string[]> {
  for (const m of messages) {
    const r = await w.append("INBOX", m, { flags: [], date: "01-Jan-2024 12:00:00 +0000" });
    if (!r.startsWith("TAG OK")) throw new Error(`APPEND failed: ${r}`);
  }
  assert.match((await w.cmd("SELECT INBOX")).at(-1)!.text, /^TAG OK/);
  return await previews(w, messages.length);
}

const files = await corpusFiles();
/** Share of corpus messages whose Dovecot preview (collapsed) must be a prefix of Tern's. */
const FLOOR = 0.9;

Deno.test({
  name: "PREVIEW on Tern and Dovecot: equal for short plain text, Tern's RFC 8970 §3.3 shape over the corpus",
  ignore: dovecotMissing !== null,
  async fn() {
    const messages = [...CRAFTED];
    for (const f of files) {
      const m = await Deno.readFile(new URL(f, CORPUS_DIR));
      // NUL octets need literal8; bare-CR line ends are stored as CRLF by Tern (docs/rfc.md).
      if (m.includes(0) || (m.includes(0x0d) && !m.includes(0x0a))) continue;
      messages.push(m);
    }
    const dovecot = await startDovecot();
    const tern = await startTern();
    try {
      const [dw, tw] = [await dovecot.login(), await tern.login()];
      const [d, t] = [await run(dw, messages), await run(tw, messages)];
      // Byte-exact on the crafted messages (whole FETCH lines).
      for (let i = 0; i < CRAFTED.length; i++) {
        const line = async (w: ImapWire) =>
          octets((await w.cmd(`FETCH ${i + 1} (PREVIEW)`)).find((r) => r.text.startsWith("*"))!.bytes);
        assert.equal(await line(tw), await line(dw), `crafted message ${i}`);
      }
      let prefix = 0;
      for (let i = 0; i < messages.length; i++) {
        const p = t[i]!;
        assert.ok(Array.from(p).length <= 256, `#${i + 1}: longer than 256`);
        assert.equal(p, p.replace(/\s+/g, " ").trim(), `#${i + 1}: whitespace at an end or uncollapsed`);
        // Dovecot keeps some whitespace (no-break spaces, leading blanks): compared collapsed.
        if (p.startsWith(d[i]!.replace(/\s+/g, " ").trim())) prefix++;
      }
      const corpus = messages.length - CRAFTED.length;
      const floor = Math.floor(corpus * FLOOR);
      assert.ok(prefix - CRAFTED.length >= floor, `agreement ${prefix - CRAFTED.length} below ${floor}`);
      console.log(
        `PREVIEW: Dovecot's preview is a prefix of Tern's for ${
          prefix - CRAFTED.length
        }/${corpus} corpus messages`,
      );
      dw.close();
      tw.close();
    } finally {
      await dovecot.stop();
      await tern.stop();
    }
  },
});
