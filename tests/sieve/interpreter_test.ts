/**
 * Sieve interpreter tests: the examples of RFC 5228 and of each extension's RFC, as script plus
 * message in, actions out.
 */
import assert from "node:assert/strict";
import { compileSieve } from "../../core/sieve/validate.ts";
import {
  runSieve,
  type SieveAction,
  type SieveContext,
  type SieveResult,
} from "../../core/sieve/interpreter.ts";

const enc = new TextEncoder();

function msg(headers: string, body = "Hello\r\n"): Uint8Array {
  return enc.encode(headers.trim().split("\n").map((l) => l.trimEnd()).join("\r\n") + "\r\n\r\n" + body);
}

const BASIC = msg(`
Date: Tue, 1 Apr 1997 09:06:31 -0800 (PST)
From: coyote@desert.example.org
To: roadrunner@acme.example.com
Subject: I have a present for you
Message-ID: <a1@desert.example.org>
`);

async function run(
  script: string,
  raw: Uint8Array = BASIC,
  extra: Partial<SieveContext> = {},
): Promise<SieveResult> {
  return await runSieve(compileSieve(script), {
    raw,
    envelope: { from: "coyote@desert.example.org", to: "roadrunner@acme.example.com" },
    now: new Date("2026-12-06T12:00:00Z"),
    ...extra,
  });
}

async function actions(
  script: string,
  raw?: Uint8Array,
  extra?: Partial<SieveContext>,
): Promise<SieveAction[]> {
  const r = await run(script, raw, extra);
  assert.equal(r.error, null, `unexpected run-time error: ${r.error}`);
  return r.actions;
}

const KEEP: SieveAction = { type: "keep", flags: [] };

Deno.test("sieve: an empty script keeps the message (RFC 5228 §2.10.2 implicit keep)", async () => {
  assert.deepEqual(await actions(""), [KEEP]);
});

Deno.test("sieve RFC 5228 §9: the example script's rules file, discard and redirect", async () => {
  const script = `
require "fileinto";
if header :is "Sender" "owner-ietf-mtgs@ietf.org" { fileinto "meetings"; }
elsif anyof (not exists ["From", "Date"],
             header :contains "from" "fool@example.com") { discard; }
elsif header :contains "subject" "$$$" { discard; }
elsif address :domain :is ["From", "To"] "example.com" { keep; }
else { fileinto "personal"; }
`;
  const ietf = msg("Sender: owner-ietf-mtgs@ietf.org\nFrom: a@b.c\nDate: Tue, 1 Apr 1997 09:06:31 -0800");
  assert.deepEqual(await actions(script, ietf), [{
    type: "fileinto",
    mailbox: "meetings",
    flags: [],
    create: false,
  }]);
  assert.deepEqual(await actions(script, msg("From: a@b.c")), [{ type: "discard" }]);
  assert.deepEqual(
    await actions(script, msg("From: x <fool@example.com>\nDate: Tue, 1 Apr 1997 09:06:31 -0800")),
    [{ type: "discard" }],
  );
  assert.deepEqual(
    await actions(script, msg("From: a@b.c\nDate: Tue, 1 Apr 1997 09:06:31 -0800\nSubject: win $$$")),
    [{ type: "discard" }],
  );
  assert.deepEqual(
    await actions(script, msg("From: a@example.com\nDate: Tue, 1 Apr 1997 09:06:31 -0800")),
    [KEEP],
  );
  assert.deepEqual(await actions(script), [{
    type: "fileinto",
    mailbox: "personal",
    flags: [],
    create: false,
  }]);
});

Deno.test("sieve RFC 5228 §5: header :matches, :contains, size, exists, true/false, stop", async () => {
  assert.deepEqual(
    await actions(`if header :matches "Subject" "*present*" { discard; }`),
    [{ type: "discard" }],
  );
  assert.deepEqual(await actions(`if header :matches "Subject" "present" { discard; }`), [KEEP]);
  assert.deepEqual(await actions(`if size :over 100K { discard; }`), [KEEP]);
  assert.deepEqual(await actions(`if size :under 1k { discard; }`), [{ type: "discard" }]);
  assert.deepEqual(await actions(`if not exists "X-Nope" { discard; }`), [{ type: "discard" }]);
  assert.deepEqual(await actions(`discard; stop; keep;`), [{ type: "discard" }]);
  assert.deepEqual(await actions(`if false { discard; } elsif true { discard; stop; } keep;`), [{
    type: "discard",
  }]);
  // RFC 5228 §2.7.1: "?" matches one character, "\\" quotes a wildcard.
  assert.deepEqual(await actions(`if header :matches "Subject" "I have a presen? for you" { discard; }`), [{
    type: "discard",
  }]);
  assert.deepEqual(await actions(`if header :matches "Subject" "I have\\\\*" { discard; }`), [KEEP]);
});

Deno.test("sieve RFC 5228 §4.2: redirect cancels the implicit keep; the same address twice is one redirect", async () => {
  assert.deepEqual(await actions(`redirect "a@example.com"; redirect "A@example.com";`), [
    { type: "redirect", address: "a@example.com" },
  ]);
  const r = await run(`redirect "not an address";`);
  assert.match(r.error!, /invalid address/);
  assert.deepEqual(r.actions, [KEEP]);
});

Deno.test("sieve RFC 5228 §5.4 envelope and RFC 5233 subaddress :user/:detail", async () => {
  const script = `require ["envelope", "subaddress", "fileinto"];
if envelope :detail "to" "mta-filters" { fileinto "mta-filters"; }
if envelope :user "to" "ken" { fileinto "ken"; }
if envelope :detail :matches "to" "*" { fileinto "any-detail"; }`;
  const to = (addr: string) =>
    actions(script, BASIC, { envelope: { from: "x@y.example", to: addr } }).then((a) =>
      a.map((x) => x.type === "fileinto" ? x.mailbox : x.type)
    );
  assert.deepEqual(await to("ken+mta-filters@example.org"), ["mta-filters", "ken", "any-detail"]);
  // No "+": :detail matches nothing, not even "*" (RFC 5233 §4).
  assert.deepEqual(await to("ken@example.org"), ["ken"]);
  assert.deepEqual(await to("ken+@example.org"), ["ken", "any-detail"]);
  assert.deepEqual(
    await actions(`require "envelope"; if envelope :all :is "from" "" { discard; }`, BASIC, {
      envelope: { from: null, to: "a@b.c" },
    }),
    [{ type: "discard" }],
  );
});

Deno.test("sieve RFC 5429: reject and ereject cancel the keep and exclude fileinto", async () => {
  assert.deepEqual(
    await actions(`require "reject"; if header :contains "subject" "present" { reject "no thanks"; }`),
    [
      { type: "reject", reason: "no thanks", extended: false },
    ],
  );
  assert.deepEqual(await actions(`require "ereject"; ereject "go away";`), [
    { type: "reject", reason: "go away", extended: true },
  ]);
  const r = await run(`require ["reject", "fileinto"]; fileinto "x"; reject "no";`);
  assert.match(r.error!, /reject cannot be combined/);
  assert.deepEqual(r.actions, [KEEP]);
});

Deno.test("sieve RFC 3894 copy: fileinto :copy and redirect :copy keep the implicit keep", async () => {
  assert.deepEqual(
    await actions(`require ["copy", "fileinto"]; fileinto :copy "Archive"; redirect :copy "b@example.com";`),
    [
      { type: "fileinto", mailbox: "Archive", flags: [], create: false },
      { type: "redirect", address: "b@example.com" },
      KEEP,
    ],
  );
});

Deno.test("sieve RFC 5232 imap4flags: setflag/addflag/removeflag, hasflag, :flags, implicit keep flags", async () => {
  const script = `require ["imap4flags", "fileinto"];
if header :contains "subject" "present" { setflag "\\\\Seen"; addflag ["\\\\Flagged", "\\\\seen"]; }
if hasflag :is "\\\\flagged" { addflag "MyFlag"; }
removeflag "\\\\Seen";
fileinto :flags "\\\\Answered" "Done";`;
  assert.deepEqual(await actions(script), [
    { type: "fileinto", mailbox: "Done", flags: ["\\Answered"], create: false },
  ]);
  assert.deepEqual(await actions(`require "imap4flags"; addflag "A B"; addflag "b"; keep;`), [
    { type: "keep", flags: ["A", "B"] },
  ]);
  assert.deepEqual(await actions(`require "imap4flags"; setflag "\\\\Deleted";`), [{
    type: "keep",
    flags: ["\\Deleted"],
  }]);
  // With a variable name (RFC 5232 §3 with variables).
  assert.deepEqual(
    await actions(
      `require ["imap4flags", "variables", "relational"]; setflag "v" "a b"; addflag "v" "c"; if hasflag :count "eq" "v" "3" { discard; }`,
    ),
    [{ type: "discard" }],
  );
});

Deno.test("sieve RFC 5229 variables: set modifiers, match variables, string test", async () => {
  const script = `require ["variables", "fileinto"];
if header :matches "Subject" "[*] *" { set "list" "\${1}"; set "rest" "\${2}"; }
set :upper "up" "\${list}";
set :length "len" "\${rest}";
set :lowerfirst :upper "mix" "hello";
set :quotewildcard "q" "a*b?c\\\\";
if string :is "\${len}" "24" { fileinto "\${up}/\${mix}/\${q}"; }`;
  const m = msg("Subject: [acme-users] [fwd] version 1.2 is out");
  // RFC 5229 §3.2's example: \${1} is "acme-users", \${2} the rest.
  assert.deepEqual(await actions(script, m), [
    { type: "fileinto", mailbox: "ACME-USERS/hELLO/a\\*b\\?c\\\\", flags: [], create: false },
  ]);
  assert.deepEqual(
    await actions(`require ["variables", "fileinto"]; set "a" "x"; fileinto "\${A}\${unknown}\${ bad}";`),
    [{ type: "fileinto", mailbox: "x\${ bad}", flags: [], create: false }],
  );
  assert.deepEqual(
    await actions(
      `require ["variables", "relational"]; if string :count "eq" ["a", "", "b"] "2" { discard; }`,
    ),
    [{ type: "discard" }],
  );
});

Deno.test("sieve RFC 5231 relational: :count and :value with i;ascii-numeric", async () => {
  const m = msg("To: a@x.example, b@x.example\nCc: c@y.example\nX-Priority: 12");
  const s = (t: string) =>
    actions(`require ["relational", "comparator-i;ascii-numeric"]; if ${t} { discard; }`, m);
  assert.deepEqual(await s(`address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] "3"`), [{
    type: "discard",
  }]);
  assert.deepEqual(await s(`address :count "gt" :comparator "i;ascii-numeric" ["to", "cc"] "3"`), [KEEP]);
  assert.deepEqual(await s(`header :value "gt" :comparator "i;ascii-numeric" "x-priority" "9"`), [{
    type: "discard",
  }]);
  // As strings "12" < "9".
  assert.deepEqual(await s(`header :value "gt" "x-priority" "9"`), [KEEP]);
});

Deno.test("sieve RFC 5173 body: :contains on text parts, :raw, :content", async () => {
  const mime = enc.encode(
    "From: a@b.c\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n" +
      "--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      btoa("Please send me money") +
      "\r\n--XX\r\nContent-Type: text/html\r\n\r\n<p>Click <b>here</b></p>\r\n--XX--\r\n",
  );
  const s = (t: string) => actions(`require "body"; if ${t} { discard; }`, mime);
  assert.deepEqual(await s(`body :contains "money"`), [{ type: "discard" }]);
  assert.deepEqual(await s(`body :raw :contains "money"`), [KEEP]);
  assert.deepEqual(await s(`body :content "text/html" :contains "<b>here</b>"`), [{ type: "discard" }]);
  assert.deepEqual(await s(`body :content "text/html" :contains "money"`), [KEEP]);
  assert.deepEqual(await s(`body :text :contains "Click here"`), [KEEP]);
});

Deno.test("sieve RFC 5260 date and index: date parts, :zone, :originalzone, currentdate, :index/:last", async () => {
  const m = msg(
    "Received: from a by b; Tue, 1 Apr 1997 10:00:00 +0000\nReceived: from c by d; Mon, 31 Mar 1997 23:00:00 -0500\nDate: Tue, 1 Apr 1997 09:06:31 -0800",
  );
  const s = (t: string) => actions(`require ["date", "index", "relational"]; if ${t} { discard; }`, m);
  const yes = [{ type: "discard" }];
  assert.deepEqual(await s(`date :originalzone "date" "hour" "09"`), yes);
  assert.deepEqual(await s(`date :zone "+0000" "date" "time" "17:06:31"`), yes);
  assert.deepEqual(await s(`date :zone "+0000" "date" "date" "1997-04-01"`), yes);
  assert.deepEqual(await s(`date :originalzone "date" "zone" "-0800"`), yes);
  assert.deepEqual(await s(`date :zone "+0000" "date" "weekday" "2"`), yes);
  assert.deepEqual(await s(`date :zone "+0000" "date" "julian" "50539"`), yes);
  assert.deepEqual(await s(`date :zone "+0100" "date" "iso8601" "1997-04-01T18:06:31+01:00"`), yes);
  // :index 1 is the topmost Received, :last counts from the bottom.
  assert.deepEqual(await s(`date :index 1 :zone "+0000" "received" "hour" "10"`), yes);
  assert.deepEqual(await s(`date :index 1 :last :originalzone "received" "zone" "-0500"`), yes);
  assert.deepEqual(await s(`header :index 2 :contains "received" "from c"`), yes);
  assert.deepEqual(await s(`header :index 3 :contains "received" "from"`), [KEEP]);
  assert.deepEqual(await s(`currentdate :zone "+0000" "date" "2026-12-06"`), yes);
  assert.deepEqual(await s(`currentdate :zone "+0000" :value "ge" "year" "2026"`), yes);
});

Deno.test("sieve RFC 5228 §2.4.2.4 encoded-character: hex and unicode in strings", async () => {
  const m = msg("Subject: $$$ ☺");
  assert.deepEqual(
    await actions(
      `require "encoded-character"; if header :contains "Subject" "\${hex: 24 24} \${unicode:263a}" { discard; }`,
      m,
    ),
    [{ type: "discard" }],
  );
});

Deno.test("sieve RFC 5230 vacation and RFC 6131 :seconds: the action and its period", async () => {
  const a = await actions(`require "vacation";
vacation :days 23 :addresses ["tjs@example.edu", "ts4z@landru.example.edu"] "I'm away until October 19.";`);
  assert.equal(a.length, 2);
  const v = a[0]!;
  assert.ok(v.type === "vacation");
  assert.equal(v.seconds, 23 * 86_400);
  assert.deepEqual(v.addresses, ["tjs@example.edu", "ts4z@landru.example.edu"]);
  assert.deepEqual(a[1], KEEP);
  const s = await actions(
    `require ["vacation", "vacation-seconds"]; vacation :seconds 1800 :subject "Out" :handle "h" "Gone";`,
  );
  assert.ok(s[0]!.type === "vacation");
  assert.equal(s[0]!.seconds, 1800);
  assert.equal(s[0]!.handle, "h");
  assert.equal(s[0]!.subject, "Out");
  // :days 0 is raised to the RFC 5230 minimum of one day.
  const z = await actions(`require "vacation"; vacation :days 0 "x";`);
  assert.ok(z[0]!.type === "vacation" && z[0]!.seconds === 86_400);
});

Deno.test("sieve RFC 6609 include: personal/global scripts, :once, :optional, return, global variables, loops", async () => {
  const scripts: Record<string, string> = {
    "personal:spam": `require ["fileinto"]; if header :contains "subject" "present" { fileinto "Spam"; }`,
    "personal:early": `require ["include"]; return; discard;`,
    "personal:vars": `require ["include", "variables"]; global "box"; set "box" "Filed";`,
    "personal:loop": `require "include"; include "loop";`,
    "global:common": `require "imap4flags"; addflag "Global";`,
  };
  const include = (name: string, location: "personal" | "global") =>
    Promise.resolve(scripts[`${location}:${name}`] ? compileSieve(scripts[`${location}:${name}`]!) : null);
  const run2 = (s: string) => actions(s, BASIC, { include });
  assert.deepEqual(await run2(`require "include"; include "spam"; include :once "spam";`), [
    { type: "fileinto", mailbox: "Spam", flags: [], create: false },
  ]);
  assert.deepEqual(await run2(`require "include"; include "early"; include :optional "missing";`), [KEEP]);
  assert.deepEqual(
    await run2(
      `require ["include", "variables", "fileinto"]; global "box"; include "vars"; fileinto "\${box}";`,
    ),
    [
      { type: "fileinto", mailbox: "Filed", flags: [], create: false },
    ],
  );
  assert.deepEqual(await run2(`require "include"; include :global "common";`), [{
    type: "keep",
    flags: ["Global"],
  }]);
  const loop = await run(`require "include"; include "loop";`, BASIC, { include });
  assert.match(loop.error!, /include loop/);
  const missing = await run(`require "include"; include "missing";`, BASIC, { include });
  assert.match(missing.error!, /not found/);
});

Deno.test("sieve RFC 5490 mailbox: mailboxexists and fileinto :create", async () => {
  const exists = (name: string) => Promise.resolve(name === "Lists");
  const s = `require ["mailbox", "fileinto"];
if mailboxexists "Lists" { fileinto :create "Lists/new"; }
if mailboxexists ["Lists", "Nope"] { discard; }`;
  assert.deepEqual(await actions(s, BASIC, { mailboxExists: exists }), [
    { type: "fileinto", mailbox: "Lists/new", flags: [], create: true },
  ]);
});

Deno.test("sieve RFC 5183 environment: known items match, unknown items are false", async () => {
  const env = { name: "Tern", domain: "mx.example", phase: "during", "remote-ip": "192.0.2.1" };
  const s = (t: string) =>
    actions(`require "environment"; if ${t} { discard; }`, BASIC, { environment: env });
  assert.deepEqual(await s(`environment :is "phase" "during"`), [{ type: "discard" }]);
  assert.deepEqual(await s(`environment :matches "remote-ip" "192.0.2.*"`), [{ type: "discard" }]);
  assert.deepEqual(await s(`environment :matches "no-such-item" "*"`), [KEEP]);
});

Deno.test("sieve RFC 5293 editheader: addheader/deleteheader change what tests see and the stored message", async () => {
  const m = msg(
    "X-Spam: yes\nSubject: hi\nX-Spam: no\nReceived: from a by b; Tue, 1 Apr 1997 10:00:00 +0000",
  );
  const r = await run(
    `require ["editheader"];
addheader "X-Filtered" "by Tern";
addheader :last "X-Note" "ünïcode";
deleteheader :index 1 "X-Spam";
deleteheader "received";
if header :is "X-Spam" "yes" { discard; }
if exists "X-Filtered" { keep; }`,
    m,
  );
  assert.equal(r.error, null);
  assert.deepEqual(r.actions, [KEEP]);
  const text = new TextDecoder().decode(r.message!);
  assert.ok(
    text.startsWith("X-Filtered: by Tern\r\nSubject: hi\r\nX-Spam: no\r\nReceived: from a by b;"),
    text,
  );
  assert.match(text, /X-Note: =\?UTF-8\?/i);
  assert.ok(text.endsWith("\r\n\r\nHello\r\n"));
  const del = await run(`require "editheader"; deleteheader :contains "X-Spam" "ye";`, m);
  assert.doesNotMatch(new TextDecoder().decode(del.message!), /X-Spam: yes/);
  assert.match(new TextDecoder().decode(del.message!), /X-Spam: no/);
});

Deno.test("sieve RFC 7352 duplicate: Message-ID tracking, :uniqueid, :header, no id is false", async () => {
  // The list as the stage keeps it: looked up during the run, added to after a successful one.
  const seen = new Set<string>();
  const duplicate = (id: string, handle: string) => Promise.resolve(seen.has(`${handle}\n${id}`));
  const runAndRecord = async (script: string) => {
    const r = await run(script, BASIC, { duplicate });
    assert.equal(r.error, null);
    for (const d of r.duplicates) seen.add(`${d.handle}\n${d.id}`);
    return r;
  };
  const s = `require "duplicate"; if duplicate { discard; }`;
  assert.deepEqual((await runAndRecord(s)).actions, [KEEP]);
  assert.deepEqual((await runAndRecord(s)).actions, [{ type: "discard" }]);
  const h = await runAndRecord(
    `require "duplicate"; if duplicate :handle "h" :uniqueid "x" :seconds 60 :last { discard; }`,
  );
  assert.deepEqual(h.actions, [KEEP]);
  assert.deepEqual(h.duplicates, [{ id: "x", handle: "h", seconds: 60, last: true }]);
  const none = await runAndRecord(`require "duplicate"; if duplicate :header "x-nope" { discard; }`);
  assert.deepEqual(none.actions, [KEEP]);
  assert.deepEqual(none.duplicates, []);
});

Deno.test("sieve RFC 7352 §3 duplicate: one answer per run for the same id, and nothing to record when the run fails", async () => {
  // A list that changes under the run (another delivery recording): the run keeps its first answer.
  let calls = 0;
  const flipping = () => Promise.resolve(calls++ > 0);
  const twice = await run(
    `require ["duplicate", "fileinto"]; if duplicate { fileinto "A"; } if duplicate { fileinto "B"; }`,
    BASIC,
    { duplicate: flipping },
  );
  assert.deepEqual(twice.actions, [KEEP]);
  assert.equal(calls, 1);
  // A run-time error: the implicit keep, and the id is not added (the next delivery is not a duplicate).
  const failed = await run(`require "duplicate"; if not duplicate { redirect "not an address"; }`, BASIC, {
    duplicate: () => Promise.resolve(false),
  });
  assert.notEqual(failed.error, null);
  assert.deepEqual(failed.duplicates, []);
});

Deno.test("sieve RFC 3685 spamtest/virustest and RFC 5235 spamtestplus :percent", async () => {
  const s = `require ["spamtestplus", "virustest", "relational", "comparator-i;ascii-numeric", "fileinto"];
if spamtest :value "ge" :comparator "i;ascii-numeric" "6" { fileinto "Junk"; }
if spamtest :percent :value "gt" :comparator "i;ascii-numeric" "90" { discard; }
if virustest :value "eq" :comparator "i;ascii-numeric" "0" { keep; }`;
  assert.deepEqual(await actions(s, BASIC, { spamScore: 7, spamPercent: 60 }), [
    { type: "fileinto", mailbox: "Junk", flags: [], create: false },
    KEEP,
  ]);
  assert.deepEqual(await actions(s, BASIC, {}), [KEEP]);
});

Deno.test("sieve regex: :regex with captures into match variables", async () => {
  const m = msg("Subject: Invoice 2026-123 due");
  assert.deepEqual(
    await actions(
      `require ["regex", "variables", "fileinto"];
if header :regex "subject" "invoice ([0-9]{4})-([0-9]+)" { fileinto "Invoices/\${1}/\${2}"; }`,
      m,
    ),
    [{ type: "fileinto", mailbox: "Invoices/2026/123", flags: [], create: false }],
  );
  assert.deepEqual(
    await actions(
      `require "regex"; if header :regex :comparator "i;octet" "subject" "invoice" { discard; }`,
      m,
    ),
    [KEEP],
  );
  // A pattern only known at run time (a variable) is checked then: refused, the message kept.
  const slow = msg(`Subject: ${"a".repeat(40)}b`);
  const r = await run(
    `require ["regex", "variables"]; set "p" "(a+)+$"; if header :regex "subject" "\${p}" { discard; }`,
    slow,
  );
  assert.match(r.error!, /nested quantifiers/);
  assert.deepEqual(r.actions, [KEEP]);
});

Deno.test("sieve limits: too many redirects, too many actions, too many steps give the implicit keep", async () => {
  const r = await run(`redirect "a@x.example"; redirect "b@x.example"; redirect "c@x.example";`, BASIC, {
    limits: { maxRedirects: 2 },
  });
  assert.match(r.error!, /too many redirects/);
  assert.deepEqual(r.actions, [KEEP]);
  const many = await run(
    `require ["fileinto", "copy"]; ${
      Array.from({ length: 10 }, (_, i) => `fileinto :copy "m${i}";`).join("")
    }`,
    BASIC,
    {
      limits: { maxActions: 5 },
    },
  );
  assert.match(many.error!, /too many actions/);
  const steps = await run(`${"if true { ".repeat(20)}keep;${" }".repeat(20)}`, BASIC, {
    limits: { maxSteps: 10 },
  });
  assert.match(steps.error!, /too many steps/);
  assert.deepEqual(steps.actions, [KEEP]);
});

Deno.test("sieve RFC 5228 §2.7.3/§5.1 address and header: i;ascii-casemap folds the field's address parts and values, i;octet does not", async () => {
  const raw = msg(`
From: Wile E. Coyote <Wile.Coyote+Traps@Desert.Example.ORG>
To: roadrunner@acme.example.com, <Beep+Beep@ACME.example.com>
Subject: A Present
`);
  const hits = async (test: string): Promise<boolean> =>
    (await actions(
      `require ["subaddress", "relational", "comparator-i;ascii-numeric"];
      if ${test} { discard; }`,
      raw,
    )).some((a) => a.type === "discard");
  assert.equal(await hits(`address :is "from" "wile.coyote+traps@desert.example.org"`), true);
  assert.equal(await hits(`address :domain :is "from" "DESERT.example.org"`), true);
  assert.equal(await hits(`address :localpart :contains "from" "COYOTE+"`), true);
  assert.equal(await hits(`address :user :is "to" "beep"`), true);
  assert.equal(await hits(`address :detail :is "from" "traps"`), true);
  assert.equal(await hits(`address :comparator "i;octet" :domain :is "from" "desert.example.org"`), false);
  assert.equal(await hits(`address :comparator "i;octet" :domain :is "from" "Desert.Example.ORG"`), true);
  // RFC 5233 §4: an address without a detail part is not counted by :detail.
  assert.equal(await hits(`address :detail :count "eq" "to" "1"`), true);
  assert.equal(await hits(`address :detail :count "eq" "cc" "0"`), true);
  assert.equal(await hits(`header :is "subject" "a present"`), true);
  assert.equal(await hits(`header :is "subject" "a presen"`), false);
  assert.equal(await hits(`header :contains "subject" "PRESENT"`), true);
  assert.equal(await hits(`header :comparator "i;octet" :contains "subject" "present"`), false);
  assert.equal(await hits(`not header :contains ["x-none", "subject"] "nothing"`), true);
  assert.equal(
    await hits(`anyof (false, allof (exists "to", address :all :is "to" "ROADRUNNER@acme.example.com"))`),
    true,
  );
});
