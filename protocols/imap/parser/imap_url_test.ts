import assert from "node:assert/strict";
import { parseImapUrl } from "./imap_url.ts";

Deno.test("parseImapUrl reads a relative message URL with UIDVALIDITY and SECTION (RFC 4469 §5 example)", () => {
  assert.deepEqual(parseImapUrl("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER"), {
    user: null,
    host: null,
    port: null,
    mailbox: "Drafts",
    uidValidity: 385759045,
    uid: 20,
    section: "HEADER",
    partial: null,
  });
});

Deno.test("parseImapUrl reads an absolute URL with user, AUTH, port, hierarchy, escapes and PARTIAL", () => {
  assert.deepEqual(
    parseImapUrl(
      "imap://bob%40example.org;AUTH=*@Mail.Example.org:143/Work/Caf%C3%A9/;UID=7/;SECTION=1.2/;PARTIAL=10.20",
    ),
    {
      user: "bob@example.org",
      host: "mail.example.org",
      port: 143,
      mailbox: "Work/Café",
      uidValidity: null,
      uid: 7,
      section: "1.2",
      partial: { origin: 10, count: 20 },
    },
  );
  assert.deepEqual(parseImapUrl("IMAP://u@[::1]/INBOX/;uid=1/;partial=0")?.partial, {
    origin: 0,
    count: null,
  });
  assert.equal(
    parseImapUrl("/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT)")?.section,
    "HEADER.FIELDS (SUBJECT)",
  );
});

Deno.test("parseImapUrl refuses what is not a message URL it accepts", () => {
  for (
    const bad of [
      "",
      "INBOX/;UID=1", // relative-path forms (no leading slash) are not accepted
      "/INBOX", // a mailbox, not a message
      "/INBOX/;UID=0",
      "/INBOX/;UID=4294967296",
      "/INBOX;UIDVALIDITY=0/;UID=1",
      "/INBOX/;UID=1/;PARTIAL=1.0",
      "/INBOX/;UID=1;URLAUTH=submit+u:internal:91354a473744909de610943775f92038", // RFC 4467
      "/IN BOX/;UID=1",
      "/IN%ZZBOX/;UID=1",
      "/%FF/;UID=1", // not UTF-8
      "imap://u@host", // no path
      "imap://u@ho st/INBOX/;UID=1",
      "imap://u@host:99999/INBOX/;UID=1",
      "http://u@host/INBOX/;UID=1",
      "/INBOX/;UID=1/;SECTION=1/;SECTION=2",
    ]
  ) {
    assert.equal(parseImapUrl(bad), null, bad);
  }
});
