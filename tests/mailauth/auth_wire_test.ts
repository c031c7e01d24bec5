/**
 * Wire tests of inbound message authentication: a real server (mx.test) receives mail from
 * nodemailer over SMTP; keys and policies are published in its static DNS; results are read from
 * the stored message's Authentication-Results field (RFC 8601) and the SMTP replies.
 */
import assert from "node:assert/strict";
import type { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { inboundDns } from "../../core/mailauth/server.ts";
import { PASSWORDS, startServer } from "../smtp/_server.ts";
import nodemailer from "nodemailer";
import { Buffer } from "node:buffer";
import { authenticate } from "mailauth";
import {
  authResults,
  forward,
  headerOf,
  mailbox,
  makeKey,
  message,
  resolverOf,
  send,
  sign,
  startAuthServer,
  type ZoneRecord,
} from "./_support.ts";

const SPF_HERE = "v=spf1 ip4:127.0.0.1 -all";
const SPF_ELSEWHERE = "v=spf1 ip4:192.0.2.1 -all";

function txt(name: string, value: string): ZoneRecord {
  return { name, type: "TXT", value };
}

Deno.test("mailauth wire: signed mail from an SPF-authorized host passes dkim, spf and dmarc in one Authentication-Results", async () => {
  const key = makeKey("sender.test", "s1");
  const env = await startAuthServer([
    key.record,
    txt("sender.test", SPF_HERE),
    txt("_dmarc.sender.test", "v=DMARC1; p=reject"),
  ]);
  try {
    const r = await send(env, await sign(message("Ann <ann@sender.test>"), key), { from: "ann@sender.test" });
    assert.equal(r.code, 250, r.response);
    const [m] = await mailbox(env, env.alice, "inbox");
    const ar = authResults(m!);
    assert.equal(ar.length, 1);
    assert.match(ar[0]!, /^Authentication-Results: mx\.test; /);
    assert.match(
      ar[0]!,
      /dkim=pass header\.d=sender\.test header\.i=@sender\.test header\.s=s1 header\.a=rsa-sha256/,
    );
    assert.match(ar[0]!, /spf=pass .*smtp\.mailfrom=sender\.test;/);
    assert.match(ar[0]!, /dmarc=pass .*header\.from=sender\.test/);
    // RFC 7208 §2.3: the HELO identity is checked on its own (client.sender.test publishes nothing).
    assert.match(ar[0]!, /; spf=none \(mx\.test: [^)]*\) smtp\.helo=client\.sender\.test;/);
    // RFC 8601 §5 / RFC 5321 §4.4: above our Received, below the Return-Path of final delivery.
    assert.match(
      headerOf(m!),
      /^Return-Path: <ann@sender\.test>\r\nAuthentication-Results: mx\.test;[^]*?\r\nReceived: /,
    );
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: an ed25519-sha256 signature verifies (RFC 8463) and aligns", async () => {
  const key = makeKey("sender.test", "ed", "ed25519");
  const env = await startAuthServer([key.record, txt("_dmarc.sender.test", "v=DMARC1; p=reject")]);
  try {
    const r = await send(env, await sign(message("ann@sender.test"), key), {
      from: "ann@sender.test",
    });
    assert.equal(r.code, 250, r.response);
    const [m] = await mailbox(env, env.alice, "inbox");
    assert.match(
      authResults(m!)[0]!,
      /dkim=pass header\.d=sender\.test header\.i=@sender\.test header\.s=ed header\.a=ed25519-sha256/,
    );
    assert.match(authResults(m!)[0]!, /dmarc=pass/);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: DMARC p=reject refuses a forged message with 550 5.7.1 at the end of DATA; nothing is stored", async () => {
  const key = makeKey("sender.test", "s1");
  const env = await startAuthServer([
    key.record,
    txt("sender.test", SPF_ELSEWHERE),
    txt("_dmarc.sender.test", "v=DMARC1; p=reject"),
  ]);
  try {
    // Signed, then altered in transit: the body hash no longer matches.
    const signed = await sign(message("ann@sender.test", "pay", "Pay invoice 1.\r\n"), key);
    const forged = signed.replace("Pay invoice 1.", "Pay invoice 9.");
    const r = await send(env, forged, { from: "ann@sender.test" });
    assert.equal(r.code, 550);
    assert.match(r.response, /^550 5\.7\.1 Message rejected by the DMARC policy of sender\.test/);
    assert.deepEqual(await mailbox(env, env.alice, "inbox"), []);
    assert.deepEqual(await mailbox(env, env.alice, "junk"), []);
    // The unaltered message still goes through.
    assert.equal((await send(env, signed, { from: "ann@sender.test" })).code, 250);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: DMARC p=quarantine files failing mail in Junk; p=none delivers it to the Inbox", async () => {
  const env = await startAuthServer([
    txt("quar.test", SPF_ELSEWHERE),
    txt("_dmarc.quar.test", "v=DMARC1; p=quarantine"),
    txt("none.test", SPF_ELSEWHERE),
    txt("_dmarc.none.test", "v=DMARC1; p=none"),
  ]);
  try {
    assert.equal((await send(env, message("x@quar.test", "q"), { from: "x@quar.test" })).code, 250);
    assert.equal((await send(env, message("x@none.test", "n"), { from: "x@none.test" })).code, 250);
    const junk = await mailbox(env, env.alice, "junk");
    const inbox = await mailbox(env, env.alice, "inbox");
    assert.equal(junk.length, 1);
    assert.match(junk[0]!, /Subject: q\r\n/);
    assert.match(authResults(junk[0]!)[0]!, /dmarc=fail .*header\.from=quar\.test/);
    assert.equal(inbox.length, 1);
    assert.match(inbox[0]!, /Subject: n\r\n/);
    assert.match(authResults(inbox[0]!)[0]!, /spf=fail .*dmarc=fail .*header\.from=none\.test/);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: [smtp.checks] dmarc_policy = monitor records a failure but delivers to the Inbox", async () => {
  const env = await startAuthServer([
    txt("sender.test", SPF_ELSEWHERE),
    txt("_dmarc.sender.test", "v=DMARC1; p=reject"),
  ], { dmarc_policy: "monitor" });
  try {
    assert.equal((await send(env, message("ann@sender.test"), { from: "ann@sender.test" })).code, 250);
    const [m] = await mailbox(env, env.alice, "inbox");
    assert.match(authResults(m!)[0]!, /dmarc=fail/);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: DKIM alignment adkim=s refuses a subdomain signature that adkim=r accepts", async () => {
  const key = makeKey("mail.strict.test", "s1");
  const key2 = makeKey("mail.relaxed.test", "s1");
  const env = await startAuthServer([
    key.record,
    key2.record,
    txt("strict.test", SPF_ELSEWHERE),
    txt("relaxed.test", SPF_ELSEWHERE),
    txt("_dmarc.strict.test", "v=DMARC1; p=reject; adkim=s"),
    txt("_dmarc.relaxed.test", "v=DMARC1; p=reject; adkim=r"),
  ]);
  try {
    const strict = await send(env, await sign(message("a@strict.test"), key), { from: "a@strict.test" });
    assert.equal(strict.code, 550, strict.response);
    const relaxed = await send(env, await sign(message("a@relaxed.test"), key2), { from: "a@relaxed.test" });
    assert.equal(relaxed.code, 250, relaxed.response);
    const [m] = await mailbox(env, env.alice, "inbox");
    assert.match(authResults(m!)[0]!, /dkim=pass header\.d=mail\.relaxed\.test .*dmarc=pass/);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: SPF alignment aspf=s refuses a subdomain MAIL FROM that aspf=r accepts", async () => {
  const env = await startAuthServer([
    txt("bounce.strict.test", SPF_HERE),
    txt("bounce.relaxed.test", SPF_HERE),
    txt("_dmarc.strict.test", "v=DMARC1; p=reject; aspf=s"),
    txt("_dmarc.relaxed.test", "v=DMARC1; p=reject; aspf=r"),
  ]);
  try {
    const strict = await send(env, message("a@strict.test"), { from: "b@bounce.strict.test" });
    assert.equal(strict.code, 550, strict.response);
    const relaxed = await send(env, message("a@relaxed.test"), { from: "b@bounce.relaxed.test" });
    assert.equal(relaxed.code, 250, relaxed.response);
    const [m] = await mailbox(env, env.alice, "inbox");
    assert.match(authResults(m!)[0]!, /spf=pass .*smtp\.mailfrom=bounce\.relaxed\.test;.*dmarc=pass/);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: SPF pass, fail, softfail, neutral, none, permerror and temperror in Authentication-Results", async () => {
  const env = await startAuthServer([
    txt("pass.test", SPF_HERE),
    txt("fail.test", "v=spf1 -all"),
    txt("soft.test", "v=spf1 ~all"),
    txt("neutral.test", "v=spf1 ?all"),
    // An include of a domain without SPF is a permerror (RFC 7208 §5.2); so is a bad mechanism.
    txt("perm.test", "v=spf1 include:nospf.test -all"),
    txt("perm2.test", "v=spf1 frobnicate:x -all"),
    txt("temp.test", "v=spf1 include:broken.test -all"),
  ]);
  (env.srv.context && (inboundDns(env.srv.context).resolver as StaticDnsResolver)).failing.add("broken.test");
  try {
    const cases: [string, string][] = [
      ["pass.test", "pass"],
      ["fail.test", "fail"],
      ["soft.test", "softfail"],
      ["neutral.test", "neutral"],
      ["nothing.test", "none"],
      ["perm.test", "permerror"],
      ["perm2.test", "permerror"],
      ["temp.test", "temperror"],
    ];
    for (const [domain] of cases) {
      const r = await send(env, message(`x@${domain}`, domain), { from: `x@${domain}` });
      assert.equal(r.code, 250, `${domain}: ${r.response}`);
    }
    const inbox = await mailbox(env, env.alice, "inbox");
    assert.equal(inbox.length, cases.length);
    for (const [i, [domain, result]] of cases.entries()) {
      assert.match(inbox[i]!, new RegExp(`Subject: ${domain}\\r\\n`));
      assert.match(
        authResults(inbox[i]!)[0]!,
        new RegExp(`spf=${result} .*smtp\\.mailfrom=${domain}`),
        domain,
      );
    }
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: for the null reverse-path SPF checks the HELO identity (RFC 7208 §2.3)", async () => {
  const env = await startAuthServer([txt("relay.sender.test", SPF_HERE)]);
  try {
    const r = await send(env, message("mailer-daemon@sender.test"), {
      from: null,
      helo: "relay.sender.test",
    });
    assert.equal(r.code, 250, r.response);
    const [m] = await mailbox(env, env.alice, "inbox");
    assert.match(
      authResults(m!)[0]!,
      /spf=pass \(mx\.test: domain of postmaster@relay\.sender\.test designates 127\.0\.0\.1 as permitted sender\) smtp\.helo=relay\.sender\.test/,
    );
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: an incoming Authentication-Results naming our host is removed, another host's is kept (RFC 8601 §5)", async () => {
  const env = await startAuthServer([txt("sender.test", SPF_ELSEWHERE)]);
  try {
    const raw = "Authentication-Results: mx.test; dkim=pass header.d=bank.test;\r\n dmarc=pass\r\n" +
      'Authentication-Results: "MX.TEST" (forged, quoted); spf=pass\r\n' +
      "Authentication-Results: relay.other.test; spf=pass smtp.mailfrom=sender.test\r\n" +
      message("ann@sender.test");
    assert.equal((await send(env, raw, { from: "ann@sender.test" })).code, 250);
    const [m] = await mailbox(env, env.alice, "inbox");
    const ar = authResults(m!);
    assert.equal(ar.length, 2);
    assert.match(ar[0]!, /^Authentication-Results: mx\.test; .*spf=fail/);
    assert.match(ar[1]!, /^Authentication-Results: relay\.other\.test; spf=pass/);
    assert.doesNotMatch(m!, /bank\.test|forged/);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: authenticated submission is not checked (no Authentication-Results added)", async () => {
  const env = await startAuthServer([]);
  try {
    const t = nodemailer.createTransport({
      host: "127.0.0.1",
      port: env.port("submission"),
      ignoreTLS: true,
      auth: { user: "alice@example.org", pass: PASSWORDS.alice },
    });
    await t.sendMail({
      envelope: { from: "alice@example.org", to: ["bob@example.org"] },
      raw: "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: local\r\n\r\nhi\r\n",
    });
    t.close();
    const [m] = await mailbox(env, env.bob, "inbox");
    assert.equal(authResults(m!).length, 0);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: ARC chain through a forwarder: a trusted sealer's chain overrides the DMARC failure the forwarding caused", async () => {
  const origin = makeKey("origin.test", "o1");
  const fwd = makeKey("list.test", "arc");
  const records = [
    origin.record,
    fwd.record,
    txt("origin.test", "v=spf1 ip4:192.0.2.10 -all"),
    txt("_dmarc.origin.test", "v=DMARC1; p=reject"),
  ];
  // The original hop: from origin's own server to the list, where everything passes.
  const signed = await sign(message("Olga <olga@origin.test>", "list post"), origin);
  const forwarded = await forward(signed, fwd, records, {
    ip: "192.0.2.10",
    helo: "mail.origin.test",
    sender: "olga@origin.test",
  });
  for (const trusted of [true, false]) {
    const env = await startAuthServer(records, { arc_trusted_sealers: trusted ? ["list.test"] : [] });
    try {
      // The list forwards from 127.0.0.1 keeping the author's envelope: SPF and DKIM now fail.
      const r = await send(env, forwarded, { from: "olga@origin.test" });
      if (!trusted) {
        assert.equal(r.code, 550, r.response);
        continue;
      }
      assert.equal(r.code, 250, r.response);
      const [m] = await mailbox(env, env.alice, "inbox");
      const ar = authResults(m!);
      assert.match(ar[0]!, /dkim=fail/);
      assert.match(
        ar[0]!,
        /arc=pass \(i=1 spf=pass dkim=pass dkdomain=origin\.test dmarc=pass fromdomain=origin\.test\)/,
      );
      assert.match(ar[0]!, /dmarc=fail/);
    } finally {
      await env.close();
    }
  }
});

Deno.test("mailauth wire: with arc_seal_domain set, accepted mail carries our ARC set (i=1, cv=none) and it verifies", async () => {
  const ours = makeKey("example.org", "arc");
  const key = makeKey("sender.test", "s1");
  const records = [key.record, ours.record, txt("sender.test", SPF_HERE)];
  const env = await startAuthServer(records, { arc_seal_domain: "example.org" });
  try {
    await env.srv.context.store.dkimKeys.put({
      domain: "example.org",
      selector: "arc",
      algorithm: "rsa-sha256",
      privateKeyPem: ours.privateKey,
      publicKeyB64: ours.record.value.replace(/^.*p=/, ""),
    }, new Date());
    assert.equal(
      (await send(env, await sign(message("ann@sender.test"), key), { from: "ann@sender.test" })).code,
      250,
    );
    const [m] = await mailbox(env, env.alice, "inbox");
    const head = headerOf(m!);
    assert.match(head, /^ARC-Seal: i=1; a=rsa-sha256; .*cv=none; d=example\.org; s=arc;/m);
    assert.match(head, /^ARC-Message-Signature: i=1; /m);
    assert.match(head, /^ARC-Authentication-Results: i=1; mx\.test;/m);
    // The next hop (here: mailauth itself) finds a valid chain, sealed by us.
    const next = await authenticate(Buffer.from(m!, "latin1"), {
      ip: "192.0.2.50",
      helo: "mx.test",
      sender: "ann@sender.test",
      mta: "next.test",
      resolver: resolverOf(records),
      disableBimi: true,
    });
    const arc = next.arc as { status: { result: string }; signature?: { signingDomain?: string } };
    assert.equal(arc.status.result, "pass");
    assert.equal(arc.signature?.signingDomain, "example.org");
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: mail from smtp.relay_networks is trusted like authenticated mail (not checked)", async () => {
  const env = await startServer({
    smtp: { relay_networks: ["127.0.0.2/32"], checks: { spf: true, dkim: true, dmarc: true, arc: true } },
    queue: { static_dns: [{ name: "tern-test.invalid", type: "A", value: "127.0.0.1" }] },
  });
  try {
    assert.equal(
      (await send(env, message("a@inside.test", "in"), { from: "a@inside.test", localAddress: "127.0.0.2" }))
        .code,
      250,
    );
    assert.equal((await send(env, message("a@outside.test", "out"), { from: "a@outside.test" })).code, 250);
    const [inside, outside] = await mailbox(env, env.alice, "inbox");
    assert.equal(authResults(inside!).length, 0);
    assert.equal(authResults(outside!).length, 1);
  } finally {
    await env.close();
  }
});

Deno.test("mailauth wire: a failing message outside the pct= sample gets the next policy down (reject → Junk, RFC 7489 §6.6.4)", async () => {
  const env = await startAuthServer([
    txt("sender.test", SPF_ELSEWHERE),
    txt("_dmarc.sender.test", "v=DMARC1; p=reject; pct=0"),
  ]);
  try {
    assert.equal((await send(env, message("ann@sender.test"), { from: "ann@sender.test" })).code, 250);
    assert.equal((await mailbox(env, env.alice, "junk")).length, 1);
  } finally {
    await env.close();
  }
});
