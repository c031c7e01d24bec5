/**
 * `[store]` configuration: the backend and URL are parsed and checked, SQLite stays the default,
 * `openStore` refuses PostgreSQL without a URL, and `tern config show` hides the URL's password.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../core/config/load.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { openStore } from "../../core/store/open.ts";
import { redactSecrets } from "../../core/cli/commands.ts";
import { systemClock } from "../../core/clock.ts";

Deno.test("[store] defaults to SQLite; backend and url are read and checked", () => {
  assert.deepEqual(defaultConfig().store, { backend: "sqlite" });
  assert.deepEqual(parseConfig("", "/srv/tern/tern.toml").store, { backend: "sqlite" });
  const pg = parseConfig(
    '[store]\nbackend = "postgres"\nurl = "postgres://tern:pw@127.0.0.1:5432/tern"\n',
    "/srv/tern/tern.toml",
  );
  assert.deepEqual(pg.store, { backend: "postgres", url: "postgres://tern:pw@127.0.0.1:5432/tern" });
  assert.throws(() => parseConfig('[store]\nbackend = "mysql"\n', "/srv/tern/tern.toml"), /store\.backend/);
  assert.throws(
    () => parseConfig('[store]\nbackend = "postgres"\nurl = "http://x/y"\n', "/srv/tern/tern.toml"),
    /postgres:\/\/ URL/,
  );
});

Deno.test("openStore refuses backend postgres without a url", async () => {
  const config = { ...defaultConfig(), store: { backend: "postgres" as const } };
  await assert.rejects(openStore(config, systemClock), /needs \[store\] url/);
});

Deno.test("a PostgreSQL url without a user name is refused with a clear message", async () => {
  const config = {
    ...defaultConfig(),
    store: { backend: "postgres" as const, url: "postgres://127.0.0.1:1/tern" },
  };
  const saved = [Deno.env.get("PGUSER"), Deno.env.get("PGUSERNAME")];
  Deno.env.delete("PGUSER");
  Deno.env.delete("PGUSERNAME");
  try {
    await assert.rejects(openStore(config, systemClock), /needs a user name/);
  } finally {
    if (saved[0] !== undefined) Deno.env.set("PGUSER", saved[0]);
    if (saved[1] !== undefined) Deno.env.set("PGUSERNAME", saved[1]);
  }
});

Deno.test("config show redacts the password of the PostgreSQL url", () => {
  const config = {
    ...defaultConfig(),
    store: { backend: "postgres" as const, url: "postgres://tern:s3cret@db:5432/tern" },
  };
  const shown = redactSecrets(config);
  assert.equal(shown.store.url, "postgres://tern:redacted@db:5432/tern");
  assert.ok(!JSON.stringify(shown).includes("s3cret"));
  assert.equal(config.store.url, "postgres://tern:s3cret@db:5432/tern", "the original is left alone");
});
