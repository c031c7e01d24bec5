/**
 * docs/systemd/tern.service is a unit systemd accepts (`systemd-analyze verify`, with the binary
 * path pointed at an executable that exists here) and keeps the sandbox the docs promise.
 */
import assert from "node:assert/strict";
import { installed, run } from "../clients/_clients.ts";

const UNIT = new URL("../../docs/systemd/tern.service", import.meta.url);

Deno.test({
  name: "the systemd unit verifies with systemd-analyze and runs sandboxed with only the bind capability",
  ignore: !installed("systemd-analyze"),
  async fn() {
    const text = await Deno.readTextFile(UNIT);
    const dir = await Deno.makeTempDir({ prefix: "tern-unit-" });
    try {
      const path = `${dir}/tern.service`;
      await Deno.writeTextFile(path, text.replace("ExecStart=/usr/local/bin/tern ", "ExecStart=/bin/true "));
      const r = await run("systemd-analyze", ["verify", "--man=no", path], { home: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), "", r.stderr);
      const keys = new Map<string, string>();
      for (const line of text.split("\n")) {
        const m = /^([A-Za-z]+)=(.*)$/.exec(line);
        if (m) keys.set(m[1]!, m[2]!);
      }
      assert.equal(keys.get("DynamicUser"), "yes");
      // Readiness comes from systemd-notify, a child of the server (core/setup/service_notify.ts).
      assert.equal(keys.get("Type"), "notify");
      assert.equal(keys.get("NotifyAccess"), "all");
      assert.equal(keys.get("ProtectSystem"), "strict");
      assert.equal(keys.get("ReadWritePaths"), "/var/lib/tern");
      assert.equal(keys.get("AmbientCapabilities"), "CAP_NET_BIND_SERVICE");
      assert.equal(keys.get("CapabilityBoundingSet"), "CAP_NET_BIND_SERVICE");
      // The binary's baked permissions read "." and write "./data": it must run from the state directory.
      assert.equal(keys.get("WorkingDirectory"), "/var/lib/tern");
      assert.match(
        keys.get("ExecStart") ?? "",
        /^\/usr\/local\/bin\/tern serve --config \/var\/lib\/tern\/tern\.toml$/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
