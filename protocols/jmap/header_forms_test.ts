import assert from "node:assert/strict";
import { parseDateForm, parseHeaderProperty, parseMessageIds, parseUrls } from "./header_forms.ts";

Deno.test("parseHeaderProperty accepts forms allowed for the header and refuses others", () => {
  assert.deepEqual(parseHeaderProperty("header:From:asAddresses:all"), {
    property: "header:From:asAddresses:all",
    key: "from",
    form: "Addresses",
    all: true,
  });
  assert.equal(parseHeaderProperty("header:Subject:asAddresses"), null);
  assert.equal(parseHeaderProperty("header:Date:asText"), null);
  assert.equal(parseHeaderProperty("header:X-Custom:asDate")?.form, "Date");
  assert.equal(parseHeaderProperty("header:X:all:asRaw"), null);
  assert.equal(parseHeaderProperty("header:X:asBogus"), null);
});

Deno.test("header forms parse message ids, dates with offsets and URLs", () => {
  assert.deepEqual(parseMessageIds(" <a@b>\r\n <c@d> (comment)"), ["a@b", "c@d"]);
  assert.equal(parseMessageIds(" garbage"), null);
  assert.equal(parseDateForm(" Tue, 1 Jul 2003 10:52:37 +0200"), "2003-07-01T10:52:37+02:00");
  assert.equal(parseDateForm(" 1 Jul 03 10:52 GMT"), "2003-07-01T10:52:00Z");
  assert.equal(parseDateForm(" yesterday"), null);
  assert.deepEqual(parseUrls(" <mailto:a@b> (x), <https://x.test/ a>"), ["mailto:a@b", "https://x.test/a"]);
});
