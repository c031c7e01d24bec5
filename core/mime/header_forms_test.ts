import assert from "node:assert/strict";
import { asText, asURLs, headerAs, headerFormAllowed } from "./header_forms.ts";

Deno.test("headerAs parses every RFC 8621 §4.1.2 form", () => {
  assert.equal(headerAs(" =?utf-8?Q?caf=C3=A9?= ok", "Raw"), " =?utf-8?Q?caf=C3=A9?= ok");
  assert.equal(headerAs(" =?utf-8?Q?caf=C3=A9?= ok", "Text"), "café ok");
  assert.deepEqual(headerAs(" Ann <a@x>, b@y", "Addresses"), [{ name: "Ann", email: "a@x" }, {
    name: null,
    email: "b@y",
  }]);
  assert.deepEqual(headerAs(" G: a@x;", "GroupedAddresses"), [{
    name: "G",
    addresses: [{ name: null, email: "a@x" }],
  }]);
  assert.deepEqual(headerAs(" <a@x> <b@y>", "MessageIds"), ["a@x", "b@y"]);
  assert.equal(headerAs(" nonsense", "MessageIds"), null);
  assert.equal(
    headerAs(" Fri, 21 Nov 1997 09:55:06 -0600", "Date")?.toISOString(),
    "1997-11-21T15:55:06.000Z",
  );
  assert.equal(headerAs(" never", "Date"), null);
  assert.deepEqual(headerAs(" <mailto:l@x?subject=help> (List Instructions), <https://x/ help>", "URLs"), [
    "mailto:l@x?subject=help",
    "https://x/help",
  ]);
  assert.equal(asURLs(" none"), null);
});

Deno.test("asText removes one leading space, unfolds and NFC-normalises", () => {
  assert.equal(asText(" a\r\n b"), "a b");
  assert.equal(asText(" e\u0301"), "\u00e9");
});

Deno.test("headerFormAllowed follows RFC 8621 §4.1.2", () => {
  assert.ok(headerFormAllowed("Subject", "Text"));
  assert.ok(!headerFormAllowed("From", "Text"));
  assert.ok(headerFormAllowed("From", "Addresses"));
  assert.ok(headerFormAllowed("X-Custom", "Date"), "unknown fields allow any form");
  assert.ok(!headerFormAllowed("Subject", "Addresses"));
  assert.ok(!headerFormAllowed("Received", "Text"));
  assert.ok(headerFormAllowed("Received", "Raw"));
  assert.ok(headerFormAllowed("List-Unsubscribe", "URLs"));
  assert.ok(headerFormAllowed("In-Reply-To", "MessageIds"));
});
