import assert from "node:assert/strict";
import { parseConfig } from "../../core/config/load.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { locateKeys } from "../../core/config/locate.ts";
import { schemaKeyPaths } from "../../core/config/schema.ts";

const EXAMPLE = new URL("../../config.example.toml", import.meta.url);

/** Leaf key paths of a config object (arrays are leaves). */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

function get(obj: unknown, path: string[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

Deno.test("config.example.toml loads and validates", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  const config = parseConfig(text, "config.example.toml", "/srv/tern");
  assert.equal(config.listeners.smtp.port, 25);
  assert.equal(config.listeners.imaps.port, 993);
  assert.equal(config.data_dir, "/srv/tern/data");
});

Deno.test("config.example.toml sets every key of defaultConfig", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  const locator = locateKeys(text);
  const missing = leafPaths(defaultConfig()).filter((p) => locator.definitionLine(p) === undefined);
  assert.deepEqual(missing, []);
});

Deno.test("config.example.toml documents the optional keys in comments", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  const defaults = new Set(leafPaths(defaultConfig()).map((p) => p.join(".")));
  const optional = schemaKeyPaths().filter((p) => !defaults.has(p));
  assert.ok(optional.length > 0);
  for (const path of optional) {
    const leaf = path.split(".").at(-1);
    const documented = new RegExp(`^# ${leaf} = `, "m").test(text) || text.includes(`# [[${path}]]`);
    assert.ok(documented, `${path} is not documented`);
  }
});

Deno.test("config.example.toml shows the default of every non-listener key", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  const example = parseConfig(text, "config.example.toml", "");
  const defaults = defaultConfig();
  // Deliberate differences: a production host name, domain and listeners on standard ports;
  // data_dir comes back normalized ("./data" -> "data"), checked in the text instead.
  const differs = new Set(["hostname", "local_domains", "data_dir"]);
  assert.match(text, new RegExp(`^data_dir = "${defaults.data_dir}"$`, "m"));
  for (const path of leafPaths(defaults)) {
    if (path[0] === "listeners" || differs.has(path.join("."))) continue;
    assert.deepEqual(get(example, path), get(defaults, path), `${path.join(".")} differs from its default`);
  }
});

Deno.test("config.example.toml uses the standard ports", async () => {
  const example = parseConfig(await Deno.readTextFile(EXAMPLE), "config.example.toml", ".");
  const ports = Object.fromEntries(Object.entries(example.listeners).map(([n, l]) => [n, l.port]));
  assert.deepEqual(ports, {
    smtp: 25,
    submission: 587,
    submissions: 465,
    lmtp: 24,
    imap: 143,
    imaps: 993,
    pop3: 110,
    pop3s: 995,
    managesieve: 4190,
    http: 443,
  });
});
