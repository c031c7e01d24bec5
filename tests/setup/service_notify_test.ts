/**
 * sd_notify readiness: `tern serve` under the start task's permissions, with NOTIFY_SOCKET pointing
 * at a datagram socket a Python process reads (as systemd's manager would), says READY=1 once it is
 * serving, RELOADING=1 … READY=1 around SIGHUP and STOPPING=1 on SIGTERM, through systemd's own
 * systemd-notify. Barrier messages (systemd-notify waits until the manager has read its message) are
 * answered by closing the passed descriptor, as the manager does.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnServe } from "../cli/_tern.ts";
import { Lines } from "../runtime/_lines.ts";
import { installed } from "../clients/_clients.ts";
import { SYSTEMD_NOTIFY } from "../../core/setup/service_notify.ts";

const RECEIVER = `
import json, os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps({"bound": path}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(0, len(payload) - len(payload) % 4, 4):
                os.close(int.from_bytes(payload[i:i + 4], sys.byteorder))
    fields = dict(line.split("=", 1) for line in data.decode().split("\\n") if "=" in line)
    if "BARRIER" in fields:
        continue
    print(json.dumps(fields), flush=True)
`;

/** The next line, or a failure after 20 s (a missing notification must fail, not hang the suite). */
async function nextLine(lines: Lines, what: string): Promise<Record<string, string>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} notification within 20 s`)), 20_000);
  });
  try {
    return JSON.parse((await Promise.race([lines.next(), timeout])) ?? "{}");
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name:
    "tern serve tells systemd READY=1 when serving, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 on SIGTERM",
  ignore: !installed("python3") || !(await Deno.stat(SYSTEMD_NOTIFY).then(() => true, () => false)),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "tern-notify-" });
    const socketPath = join(dir, "notify.sock");
    const receiver = new Deno.Command("python3", {
      args: ["-c", RECEIVER, socketPath],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const messages = new Lines(receiver.stdout);
    let server: Deno.ChildProcess | null = null;
    let log: Lines | null = null;
    try {
      assert.deepEqual(await nextLine(messages, "bind"), { bound: socketPath });
      await Deno.writeTextFile(
        join(dir, "tern.toml"),
        `local_domains = ["example.com"]\n` +
          ["smtp", "imap", "http"].map((n) => `[listeners.${n}]\nport = 0\n`).join(""),
      );
      server = await spawnServe(dir, { NOTIFY_SOCKET: socketPath });
      log = new Lines(server.stderr);

      const ready = await nextLine(messages, "READY");
      assert.deepEqual(ready, { MAINPID: String(server.pid), READY: "1", STATUS: "serving" });
      // READY came after every listener was bound: the log already says so.
      const started: string[] = [];
      for (let line = await log.next(); line !== null; line = await log.next()) {
        started.push(line);
        if (line.includes('"server started"')) break;
      }
      assert.ok(started.some((l) => l.includes('"server started"')), started.join("\n"));

      server.kill("SIGHUP");
      assert.deepEqual(await nextLine(messages, "RELOADING"), {
        MAINPID: String(server.pid),
        RELOADING: "1",
      });
      assert.deepEqual(await nextLine(messages, "READY after reload"), {
        MAINPID: String(server.pid),
        READY: "1",
        STATUS: "reloaded",
      });

      server.kill("SIGTERM");
      assert.deepEqual(await nextLine(messages, "STOPPING"), {
        MAINPID: String(server.pid),
        STOPPING: "1",
      });
      await log.rest();
      assert.equal((await server.status).code, 0);
      server = null;
    } finally {
      if (server) {
        try {
          server.kill("SIGKILL");
        } catch {
          // already gone
        }
        await log?.rest();
        await server.status;
      }
      receiver.kill("SIGKILL");
      await messages.rest();
      await receiver.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
