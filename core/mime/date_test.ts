import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDate, formatImapDate, parseDate, parseImapDate } from "./date.ts";

const iso = (s: string) => parseDate(s)?.toISOString() ?? null;

Deno.test("parseDate reads RFC 5322 dates", () => {
  assert.equal(iso("Fri, 21 Nov 1997 09:55:06 -0600"), "1997-11-21T15:55:06.000Z");
  assert.equal(iso("Tue, 1 Jul 2003 10:52:37 +0200 (CEST)"), "2003-07-01T08:52:37.000Z");
  assert.equal(iso("Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)"), "1969-02-14T03:02:00.000Z");
});

Deno.test("parseDate reads obsolete forms (RFC 5322 §4.3)", () => {
  assert.equal(iso("21 Nov 97 09:55 EST"), "1997-11-21T14:55:00.000Z");
  assert.equal(iso("1 Jan 03 00:00:00 GMT"), "2003-01-01T00:00:00.000Z");
  assert.equal(iso("Fri, 21 Nov 097 09:55:06 -0600"), "1997-11-21T15:55:06.000Z");
  assert.equal(iso("Sun, 8 Jun 2008 12:00:00 Z"), "2008-06-08T12:00:00.000Z");
  assert.equal(iso("Sun, 8 Jun 2008 12:00:00 A"), "2008-06-08T12:00:00.000Z", "military zone = -0000");
  assert.equal(iso("Mon Jan  2 15:04:05 2006"), "2006-01-02T15:04:05.000Z");
  assert.equal(iso("2020-01-02T03:04:05+01:00"), "2020-01-02T02:04:05.000Z");
});

Deno.test("parseDate rejects garbage and impossible dates", () => {
  assert.equal(iso("Whenever"), null);
  assert.equal(iso(""), null);
  assert.equal(iso("31 Feb 2020 00:00:00 +0000"), null);
  assert.equal(iso("1 Jan 2020 25:00:00 +0000"), null);
  fc.assert(fc.property(fc.string(), (s) => void parseDate(s)));
});

Deno.test("formatDate and parseDate round-trip", () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date("1970-01-01"), max: new Date("2999-12-31"), noInvalidDate: true }),
      fc.integer({ min: -720, max: 840 }),
      (d, off) => {
        const s = formatDate(d, off);
        assert.match(s, /^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
        assert.equal(parseDate(s)!.getTime(), Math.floor(d.getTime() / 1000) * 1000);
        const imap = formatImapDate(d, off);
        assert.equal(parseImapDate(imap)!.getTime(), Math.floor(d.getTime() / 1000) * 1000);
      },
    ),
  );
});

Deno.test("formatImapDate writes RFC 9051 date-time", () => {
  const d = new Date(Date.UTC(2026, 10, 1, 2, 3, 4));
  assert.equal(formatImapDate(d), "01-Nov-2026 02:03:04 +0000");
  assert.equal(formatImapDate(d, -330), "31-Oct-2026 20:33:04 -0530");
  assert.equal(formatDate(d), "Sun, 1 Nov 2026 02:03:04 +0000");
  assert.equal(parseImapDate('" 1-Nov-2026 03:03:04 +0100"')!.getTime(), d.getTime());
  assert.equal(parseImapDate("1-Nov-2026 03:03:04"), null);
});
