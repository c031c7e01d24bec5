import assert from "node:assert/strict";
import { defaultConfig, LISTENER_NAMES } from "./defaults.ts";
import { schemaKeyPaths, schemaKeys, validateConfig } from "./schema.ts";

function leafPaths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

Deno.test("defaultConfig passes its own schema", () => {
  const { issues } = validateConfig(defaultConfig() as unknown as Record<string, unknown>);
  assert.deepEqual(issues, []);
});

Deno.test("defaultConfig has a value for every required schema key and no other", () => {
  const known = new Set(schemaKeyPaths());
  const required = schemaKeys().filter((k) => !k.optional).map((k) => k.path);
  const leaves = leafPaths(defaultConfig());
  assert.deepEqual(leaves.filter((p) => !known.has(p)), [], "default keys missing from the schema");
  assert.deepEqual(required.filter((p) => !leaves.includes(p)), [], "schema keys without a default");
});

Deno.test("defaultConfig uses the development ports on loopback", () => {
  const c = defaultConfig();
  const ports = Object.fromEntries(LISTENER_NAMES.map((n) => [n, [c.listeners[n].port, c.listeners[n].tls]]));
  assert.deepEqual(ports, {
    smtp: [2525, "starttls"],
    submission: [2587, "starttls"],
    submissions: [2465, "implicit"],
    lmtp: [2424, "none"],
    imap: [2143, "starttls"],
    imaps: [2993, "implicit"],
    pop3: [2110, "starttls"],
    pop3s: [2995, "implicit"],
    managesieve: [4190, "starttls"],
    http: [8080, "none"],
  });
  assert.ok(LISTENER_NAMES.every((n) => c.listeners[n].address === "127.0.0.1"));
  assert.equal(c.smtp.max_message_size, 50 * 1024 * 1024);
});

Deno.test("defaultConfig returns a fresh object every time", () => {
  const a = defaultConfig();
  a.listeners.smtp.port = 1;
  a.local_domains.push("x.example");
  assert.equal(defaultConfig().listeners.smtp.port, 2525);
  assert.deepEqual(defaultConfig().local_domains, ["localhost"]);
});
