/**
 * TLS 1.0 and 1.1 are refused on every TLS listener (implicit TLS on imaps, pop3s, submissions and
 * STARTTLS on SMTP and IMAP), while TLS 1.2 and 1.3 connect: `openssl s_client` with
 * `-cipher DEFAULT@SECLEVEL=0` (so the client itself is willing to speak the old versions) gets no
 * handshake. The server goes on serving normal clients afterwards.
 */
import assert from "node:assert/strict";
import { startAttackEnv } from "./_env.ts";
import type { ListenerName } from "../../core/config/types.ts";

const ignore = new Deno.Command("sh", { args: ["-c", "command -v openssl"], stdout: "null", stderr: "null" })
  .outputSync().code !== 0;

/** Runs `openssl s_client` with one protocol version; returns exit code and output. */
async function sClient(
  port: number,
  version: string,
  extra: string[],
): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("openssl", {
    args: [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      version,
      "-cipher",
      "DEFAULT@SECLEVEL=0",
      "-brief",
      ...extra,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(
    new TextEncoder().encode(
      extra.includes("smtp") ? "QUIT\r\n" : extra.includes("pop3") ? "QUIT\r\n" : "a LOGOUT\r\n",
    ),
  );
  await w.close();
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stderr) + dec.decode(r.stdout) };
}

const TARGETS: [ListenerName, string[]][] = [
  ["imaps", []],
  ["pop3s", []],
  ["submissions", []],
  ["smtp", ["-starttls", "smtp"]],
  ["imap", ["-starttls", "imap"]],
];

Deno.test({
  name: "TLS 1.0 and 1.1 are refused on every TLS listener; TLS 1.2 and 1.3 connect",
  ignore,
  async fn() {
    const env = await startAttackEnv();
    try {
      for (const [listener, extra] of TARGETS) {
        for (const version of ["-tls1", "-tls1_1"]) {
          const r = await sClient(env.port(listener), version, extra);
          assert.notEqual(r.code, 0, `${listener} ${version} must fail:\n${r.out}`);
          assert.doesNotMatch(r.out, /CONNECTION ESTABLISHED/, `${listener} ${version}`);
        }
        for (const [version, name] of [["-tls1_2", "TLSv1.2"], ["-tls1_3", "TLSv1.3"]]) {
          const r = await sClient(env.port(listener), version!, extra);
          assert.match(r.out, /CONNECTION ESTABLISHED/, `${listener} ${version}:\n${r.out}`);
          assert.match(r.out, new RegExp(`Protocol version: ${name!.replace(".", "\\.")}`));
        }
      }
      await env.assertHealthy();
    } finally {
      await env.close();
    }
  },
});
