/**
 * THREAD and UID THREAD on the wire (RFC 5256 §3, §4): ORDEREDSUBJECT and REFERENCES over reply
 * chains, a missing parent, subject-only replies, a message without Message-ID and one without
 * Date:; search keys, the empty result and errors. Replies are compared byte for byte.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const enc = new TextEncoder();

/** A message with these header lines, dated `day` February 2026 at 10:00 UTC (none: no Date:). */
function message(lines: string[], day?: number): string {
  const date = day === undefined ? [] : [`Date: ${String(day).padStart(2, "0")} Feb 2026 10:00:00 +0000`];
  return [...lines, ...date, "", "text", ""].join("\r\n");
}

/**
 * After a throwaway (expunged, so UID = sequence number + 1):
 * 1 <a> "plan" (1 Feb); 2 <b> References <a> (2 Feb); 3 <c> References <a> <b> (4 Feb);
 * 4 <d> "another plan" In-Reply-To <a> (3 Feb); 5 <e> and 6 <f> reply to the absent <gone> (5, 6 Feb);
 * 7 <j> "lunch" (8 Feb) and 8 <k> "Re: lunch" (7 Feb) without references; 9 without Message-ID (9 Feb);
 * 10 without Date: (INTERNALDATE 2024, so first).
 */
const MESSAGES: string[] = [
  message(["Subject: throwaway"], 1),
  message(["Message-ID: <a@t>", "Subject: plan"], 1),
  message(["Message-ID: <b@t>", "References: <a@t>", "Subject: Re: plan"], 2),
  message(["Message-ID: <c@t>", "References: <a@t> <b@t>", "Subject: Re: plan"], 4),
  // A new subject: only In-Reply-To puts it under 1.
  message(["Message-ID: <d@t>", "In-Reply-To: <a@t>", "Subject: Re: another plan"], 3),
  message(["Message-ID: <e@t>", "References: <gone@t>", "Subject: Re: lost"], 5),
  message(["Message-ID: <f@t>", "References: <gone@t>", "Subject: Re: lost"], 6),
  message(["Message-ID: <j@t>", "Subject: lunch"], 8),
  message(["Message-ID: <k@t>", "Subject: Re: lunch"], 7),
  message(["Subject: no id"], 9),
  message(["Message-ID: <i@t>", "Subject: undated"]),
];

Deno.test("imap THREAD builds RFC 5256 threads (ORDEREDSUBJECT, REFERENCES) and REFS threads; UID THREAD answers UIDs", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    await c.login();
    for (const m of MESSAGES) {
      const r = await c.cmd(`APPEND INBOX "01-Jan-2024 12:00:00 +0000" {${enc.encode(m).length}+}\r\n${m}`);
      assert.match(r.at(-1)!, /^TAG OK/);
    }
    await c.cmd("SELECT INBOX");
    await c.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    assert.equal((await c.cmd("EXPUNGE")).at(-1), "TAG OK EXPUNGE completed");
    const caps = (await c.cmd("CAPABILITY"))[0]!.split(" ");
    assert.ok(
      ["THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "THREAD=REFS"].every((c) => caps.includes(c)),
      caps.join(" "),
    );
    // REFERENCES: 2 and 4 are children of 1 (4 by In-Reply-To), 3 of 2; the absent <gone> is a
    // dummy holding 5 and 6; 8 joins 7 by subject (a reply under the original); roots by date.
    assert.deepEqual(await c.cmd("THREAD REFERENCES UTF-8 ALL"), [
      "* THREAD (10)(1 (2 3)(4))((5)(6))(7 8)(9)",
      "TAG OK THREAD completed",
    ]);
    // ORDEREDSUBJECT: by base subject, the first (by date) the parent of the others.
    assert.deepEqual(await c.cmd("THREAD ORDEREDSUBJECT UTF-8 ALL"), [
      "* THREAD (10)(1 (2)(3))(4)(5 6)(8 7)(9)",
      "TAG OK THREAD completed",
    ]);
    // REFS: no subject merging (7 and 8 apart), threads ordered by their latest message.
    assert.deepEqual(await c.cmd("THREAD REFS UTF-8 ALL"), [
      "* THREAD (10)(1 (2 3)(4))((5)(6))(8)(7)(9)",
      "TAG OK THREAD completed",
    ]);
    assert.deepEqual(await c.cmd("UID THREAD REFERENCES UTF-8 ALL"), [
      "* THREAD (11)(2 (3 4)(5))((6)(7))(8 9)(10)",
      "TAG OK THREAD completed",
    ]);
    // Without 1, its replies hang from a dummy, kept at the top as it has two children.
    assert.deepEqual(await c.cmd("thread references us-ascii NOT 1"), [
      "* THREAD (10)((2 3)(4))((5)(6))(7 8)(9)",
      "TAG OK THREAD completed",
    ]);
    // RFC 5256 §4: thread-data = "THREAD" [SP 1*thread-list].
    assert.deepEqual(await c.cmd("THREAD REFERENCES UTF-8 SEEN"), ["* THREAD", "TAG OK THREAD completed"]);
    assert.deepEqual(await c.cmd("UID THREAD ORDEREDSUBJECT UTF-8 UID 1"), [
      "* THREAD",
      "TAG OK THREAD completed",
    ]);
    assert.deepEqual(await c.cmd("THREAD REFERENCES X-NO-SUCH-CHARSET ALL"), [
      "TAG NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset",
    ]);
    assert.deepEqual(await c.cmd("THREAD FLAVOURS UTF-8 ALL"), [
      "TAG BAD Unknown threading algorithm FLAVOURS",
    ]);
    assert.deepEqual(await c.cmd("THREAD (REFERENCES) UTF-8 ALL"), ["TAG BAD Expected threading algorithm"]);
    assert.deepEqual(await c.cmd("THREAD REFERENCES UTF-8"), ["TAG BAD Missing search key"]);
  } finally {
    c.close();
    await t.close();
  }
});
