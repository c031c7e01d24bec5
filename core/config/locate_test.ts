import assert from "node:assert/strict";
import { formatPath, locateKeys } from "./locate.ts";

const SOURCE = [
  'hostname = "a.example"', // 1
  "[smtp]", // 2
  "relay_networks = [", // 3
  '  "10.0.0.0/8",', // 4
  "  '192.0.2.0/24', # comment ] [", // 5
  "]", // 6
  'banner = """', // 7
  "fake = 1", // 8
  '"""', // 9
  "max_recipients = 5 # [x]", // 10
  '[listeners."imap"]', // 11
  "port = 143", // 12
  "listeners.http.port = 80", // 13
  "[[jmap.trusted_services]]", // 14
  'name = "a"', // 15
  "[[jmap.trusted_services]]", // 16
  'name = "b"', // 17
  "imap = { idle_timeout = 5 }", // 18
].join("\n");

Deno.test("locateKeys finds keys in tables, dotted keys and quoted keys", () => {
  const loc = locateKeys(SOURCE);
  assert.equal(loc.lineOf(["hostname"]), 1);
  assert.equal(loc.lineOf(["smtp", "max_recipients"]), 10);
  assert.equal(loc.lineOf(["listeners", "imap", "port"]), 12);
  assert.equal(loc.lineOf(["listeners", "imap"]), 11);
  assert.equal(loc.lineOf(["listeners", "imap", "listeners", "http", "port"]), 13);
});

Deno.test("locateKeys skips multi-line strings and arrays", () => {
  const loc = locateKeys(SOURCE);
  assert.equal(loc.definitionLine(["smtp", "fake"]), undefined);
  assert.equal(loc.lineOf(["smtp", "relay_networks"]), 3);
  assert.equal(loc.lineOf(["smtp", "relay_networks", 1], "192.0.2.0/24"), 5);
  assert.equal(loc.lineOf(["smtp", "relay_networks", 0], "10.0.0.0/8"), 4);
});

Deno.test("locateKeys numbers array-of-tables elements", () => {
  const loc = locateKeys(SOURCE);
  assert.equal(loc.lineOf(["jmap", "trusted_services", 0, "name"]), 15);
  assert.equal(loc.lineOf(["jmap", "trusted_services", 1, "name"]), 17);
  assert.equal(loc.lineOf(["jmap", "trusted_services", 1, "hmac_secret"]), 16);
  // An inline table inside the last element: its keys fall back to the line of the table.
  assert.equal(loc.lineOf(["jmap", "trusted_services", 1, "imap", "idle_timeout"]), 18);
});

Deno.test("locateKeys falls back to the nearest known parent, or undefined", () => {
  const loc = locateKeys(SOURCE);
  assert.equal(loc.lineOf(["smtp", "unknown_key"]), 2);
  assert.equal(loc.lineOf(["nothing", "here"]), undefined);
});

Deno.test("formatPath writes indices in brackets and quotes odd keys", () => {
  assert.equal(formatPath(["smtp", "relay_networks", 1]), "smtp.relay_networks[1]");
  assert.equal(formatPath(["a", "b c", 0, "d"]), 'a."b c"[0].d');
});
