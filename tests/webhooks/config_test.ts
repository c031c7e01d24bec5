/**
 * `[outbound_http]`, `[webhooks]` and `[notify]` through the configuration loader: values reach the
 * settings, defaults fill the rest, and bad values are refused with their key path.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../core/config/load.ts";
import { ConfigError } from "../../core/config/errors.ts";
import { webhookSettings } from "../../core/webhooks/settings.ts";
import { notifySettings } from "../../core/notify/settings.ts";
import { outboundHttpPolicy } from "../../core/net/outbound_http_config.ts";

Deno.test("[outbound_http], [webhooks] and [notify] load into their settings; omitted keys take the defaults", () => {
  const config = parseConfig(
    `hostname = "mx.example.org"
[outbound_http]
allow_private = ["127.0.0.0/8", "fd00::/8"]
timeout = 20
[webhooks]
retry_base = 30
public_url = "https://mail.example.org/"
[notify]
admins = ["root@example.org"]
quota_thresholds = [90, 75]
`,
    "t.toml",
    "/srv",
  );
  assert.deepEqual(outboundHttpPolicy(config), {
    allowPrivate: ["127.0.0.0/8", "fd00::/8"],
    connectTimeoutMs: 5000,
    timeoutMs: 20_000,
    maxResponseBytes: 65_536,
  });
  const w = webhookSettings(config);
  assert.deepEqual([w.retryBaseMs, w.retryMaxMs, w.publicUrl, w.perEndpointConcurrency], [
    30_000,
    960_000,
    "https://mail.example.org",
    4,
  ]);
  const n = notifySettings(config);
  assert.deepEqual([n.from, n.admins, n.quotaThresholds], [
    "postmaster@mx.example.org",
    ["root@example.org"],
    [90, 75],
  ]);
});

Deno.test("bad webhook and outbound HTTP values are refused with their key", () => {
  for (
    const [toml, key] of [
      ['[outbound_http]\nallow_private = ["10.0.0.0/33"]', "allow_private"],
      ['[webhooks]\npublic_url = "ftp://x"', "public_url"],
      ["[webhooks]\nretry_base = 0", "retry_base"],
      ["[webhooks]\nunknown_key = 1", "unknown_key"],
      ["[notify]\nquota_thresholds = [120]", "quota_thresholds"],
    ]
  ) {
    assert.throws(
      () => parseConfig(toml!, "t.toml", "/srv"),
      (e) => e instanceof ConfigError && e.message.includes(key!),
      toml,
    );
  }
});
