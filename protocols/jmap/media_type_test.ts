import assert from "node:assert/strict";
import { isMediaType } from "./media_type.ts";

Deno.test("isMediaType accepts types with parameters (RFC 9110 §8.3.1)", () => {
  for (
    const ok of [
      "application/pdf",
      "message/rfc822",
      "text/plain; charset=utf-8",
      'text/plain;charset="us-ascii"',
      "application/vnd.example+json",
    ]
  ) {
    assert.equal(isMediaType(ok), true, ok);
  }
});

Deno.test("isMediaType refuses control characters, missing subtypes and non-ASCII", () => {
  for (
    const bad of [
      "",
      "text",
      "text/",
      "text/plain\r\nx-injected: 1",
      "text/plain\n",
      "text/plain\0",
      "text/plain; charset",
      "tëxt/plain",
      'text/plain; a="\r\n"',
      "a/" + "b".repeat(300),
    ]
  ) {
    assert.equal(isMediaType(bad), false, JSON.stringify(bad));
  }
});
