/**
 * What the interpreter works out once and keeps (compiled closures per script, the parsed header
 * and body texts per message, shared by the runs of one delivery, variable templates per string)
 * never goes stale and never leaks from one message, run or recipient to another.
 */
import assert from "node:assert/strict";
import { compileSieve } from "../../core/sieve/validate.ts";
import { runSieve, type SieveAction, type SieveContext } from "../../core/sieve/interpreter.ts";
import { SieveMessage } from "../../core/sieve/message.ts";
import type { CompiledScript } from "../../core/sieve/validate.ts";

const enc = new TextEncoder();

function msg(headers: string, body = "Hello\r\n"): Uint8Array {
  return enc.encode(headers.trim().split("\n").map((l) => l.trim()).join("\r\n") + "\r\n\r\n" + body);
}

async function actions(
  script: CompiledScript,
  raw: Uint8Array,
  extra: Partial<SieveContext> = {},
): Promise<SieveAction[]> {
  const r = await runSieve(script, {
    raw,
    envelope: { from: "a@remote.example", to: "me@example.org" },
    now: new Date("2026-12-07T00:00:00Z"),
    ...extra,
  });
  assert.equal(r.error, null);
  return r.actions;
}

const KEEP: SieveAction = { type: "keep", flags: [] };
const into = (mailbox: string): SieveAction => ({ type: "fileinto", mailbox, flags: [], create: false });

Deno.test("sieve memo: one compiled script over messages with different headers answers for each message", async () => {
  const script = compileSieve(`require ["fileinto"];
if header :contains "subject" "invoice" { fileinto "Receipts"; stop; }
if address :domain :is "from" "bank.example" { fileinto "Finance"; stop; }
if exists "x-newsletter-id" { fileinto "News"; stop; }
if header :is "x-mailer" "Bulk 3" { fileinto "Junk"; stop; }`);
  const invoice = msg("From: Shop <shop@shop.example>\nSubject: Your INVOICE 42");
  const bank = msg("From: Bank <alerts@bank.example>\nSubject: statement");
  const news = msg("From: n@news.example\nSubject: weekly\nX-Newsletter-ID: 7");
  const bulk = msg("From: b@bulk.example\nX-Mailer: Bulk 3\nSubject: offer");
  const plain = msg("From: friend@example.net\nSubject: hello");
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(await actions(script, invoice), [into("Receipts")]);
    assert.deepEqual(await actions(script, plain), [KEEP]);
    assert.deepEqual(await actions(script, bank), [into("Finance")]);
    assert.deepEqual(await actions(script, news), [into("News")]);
    assert.deepEqual(await actions(script, plain), [KEEP]);
    assert.deepEqual(await actions(script, bulk), [into("Junk")]);
  }
});

Deno.test("sieve memo: tests after addheader and deleteheader see the edited header (RFC 5293 §4), the next run the original", async () => {
  const script = compileSieve(`require ["fileinto", "editheader", "imap4flags"];
if header :contains "subject" "invoice" { addflag "before"; }
addheader "X-Tag" "tagged";
deleteheader "subject";
if header :is "x-tag" "tagged" { addflag "added-seen"; }
if exists "x-tag" { addflag "exists-seen"; }
if not exists "subject" { addflag "deleted-seen"; }
if header :contains "subject" "invoice" { addflag "stale"; }
deleteheader "from";
if not address :all :contains "from" "shop" { addflag "from-gone"; }`);
  const raw = msg("From: shop@shop.example\nSubject: invoice 42");
  const r = await runSieve(script, {
    raw,
    envelope: { from: null, to: "me@example.org" },
    now: new Date(),
  });
  assert.equal(r.error, null);
  assert.deepEqual(r.actions, [{
    type: "keep",
    flags: ["before", "added-seen", "exists-seen", "deleted-seen", "from-gone"],
  }]);
  assert.ok(r.message);
  assert.match(new TextDecoder().decode(r.message), /^X-Tag: tagged\r\n\r\nHello/);
  // A second run on the same bytes starts from the header as received.
  const again = compileSieve(
    `require ["fileinto"]; if header :contains "subject" "invoice" { fileinto "R"; }`,
  );
  assert.deepEqual(await actions(again, raw), [into("R")]);
});

Deno.test("sieve memo: runs sharing one parsed message (one per recipient) keep their header edits to themselves", async () => {
  const raw = msg("From: shop@shop.example\nSubject: invoice 42\nX-Spam: yes");
  const shared = new SieveMessage(raw);
  const editor = compileSieve(`require ["editheader", "fileinto"];
addheader "X-Tag" "tagged"; deleteheader "subject"; deleteheader "x-spam";
if header :is "x-tag" "tagged" { fileinto "Tagged"; }`);
  const reader = compileSieve(`require ["fileinto", "imap4flags"];
if exists "x-tag" { addflag "leaked"; }
if header :contains "subject" "invoice" { addflag "subject"; }
if header :is "x-spam" "yes" { addflag "spam"; }`);
  assert.deepEqual(await actions(editor, raw, { message: shared }), [into("Tagged")]);
  assert.deepEqual(await actions(reader, raw, { message: shared }), [{
    type: "keep",
    flags: ["subject", "spam"],
  }]);
  assert.deepEqual(await actions(editor, raw, { message: shared }), [into("Tagged")]);
  // A parsed message of other bytes is not used for this one.
  const other = new SieveMessage(msg("Subject: something else\nX-Tag: tagged"));
  assert.deepEqual(await actions(reader, raw, { message: other }), [{
    type: "keep",
    flags: ["subject", "spam"],
  }]);
});

Deno.test("sieve memo: body texts are kept per transform (RFC 5173 §5), not one for all", async () => {
  const raw = enc.encode(
    "From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      btoa("You are a lottery WINNER") + "\r\n",
  );
  const shared = new SieveMessage(raw);
  const rawTest = compileSieve(
    `require ["body", "fileinto"]; if body :raw :contains "lottery winner" { fileinto "Raw"; }`,
  );
  const textTest = compileSieve(
    `require ["body", "fileinto"]; if body :text :contains "lottery winner" { fileinto "Text"; }`,
  );
  const contentTest = compileSieve(
    `require ["body", "fileinto"]; if body :content "image" :contains "lottery" { fileinto "Image"; }`,
  );
  // :raw reads the base64 as it is: no "lottery winner" there; :text decodes it.
  assert.deepEqual(await actions(rawTest, raw, { message: shared }), [KEEP]);
  assert.deepEqual(await actions(textTest, raw, { message: shared }), [into("Text")]);
  assert.deepEqual(await actions(contentTest, raw, { message: shared }), [KEEP]);
  assert.deepEqual(await actions(rawTest, raw, { message: shared }), [KEEP]);
  // Another message through the same scripts: its own body.
  const other = msg("Subject: y", "nothing to see\r\n");
  assert.deepEqual(await actions(textTest, other, { message: shared }), [KEEP]);
});

Deno.test("sieve memo: a string's variable references expand to the values of each run and moment (RFC 5229 §3)", async () => {
  const script = compileSieve(`require ["variables", "fileinto", "include"];
global "g";
if header :matches "subject" "* *" { set "first" "\${1}"; }
set "g" "\${first}-g";
fileinto "\${first}/\${global.g}/\${unknown.ns}/\${FIRST}";
set "first" "changed";
fileinto "\${first}";`);
  assert.deepEqual(await actions(script, msg("Subject: alpha beta")), [
    into("alpha/alpha-g//alpha"),
    into("changed"),
  ]);
  assert.deepEqual(await actions(script, msg("Subject: omega psi")), [
    into("omega/omega-g//omega"),
    into("changed"),
  ]);
});

Deno.test("sieve memo: compiled rules count their steps as written (RFC 5228 §2.10.6 limits): a lone if and an if/else chain", async () => {
  const steps = async (script: string, maxSteps: number) =>
    (await runSieve(compileSieve(script), {
      raw: msg("Subject: s"),
      envelope: { from: null, to: "me@example.org" },
      now: new Date(),
      limits: { maxSteps },
    })).error;
  // Five lone ifs: one step for each if and one for each test.
  const lone = `if false { keep; } `.repeat(5);
  assert.equal(await steps(lone, 10), null);
  assert.match((await steps(lone, 9))!, /too many steps/);
  // An if with an else: a step for each branch of the chain and one for the test.
  const chain = `if false { keep; } else { discard; }`;
  assert.equal(await steps(chain, 4), null); // 3 for the chain, 1 for discard
  assert.match((await steps(chain, 3))!, /too many steps/);
});
