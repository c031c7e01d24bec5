/**
 * Connection policy over real sockets. Clients bind their source address to distinct loopback
 * addresses (127.0.0.2, 127.0.0.3, …) to act as different peers.
 */
import assert from "node:assert/strict";
import { python } from "../support/line_client.ts";
import { startTestServer } from "../support/server.ts";
import { readWithTimeout } from "../support/timed_source.ts";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { Session } from "../../core/session.ts";

/**
 * Opens connections in order, each from a source address, and prints the first line each one
 * receives (or "EOF"). `sends` lines are written after the greeting and their replies printed.
 */
const CONNECT = `
import json, socket, sys
plan = json.loads(sys.argv[1])
socks = []
out = []
for step in plan:
    s = socket.create_connection(("127.0.0.1", step["port"]), timeout=10, source_address=(step["from"], 0))
    f = s.makefile("rb")
    lines = [f.readline().decode().rstrip("\\r\\n") or "EOF"]
    for line in step.get("send", []):
        s.sendall((line + "\\r\\n").encode())
        lines.append(f.readline().decode().rstrip("\\r\\n") or "EOF")
    out.append(lines)
    if step.get("keep", True):
        socks.append((s, f))
    else:
        s.close()
print(json.dumps(out))
`;

type Step = { port: number; from: string; send?: string[]; keep?: boolean };
async function connectAll(plan: Step[]): Promise<string[][]> {
  return JSON.parse(await python(CONNECT, [JSON.stringify(plan)]));
}

async function curlStatus(port: number, from: string): Promise<string> {
  const out = await new Deno.Command("curl", {
    args: [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--interface",
      from,
      `http://127.0.0.1:${port}/.well-known/jmap`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  // A failed transfer (curl prints 000) is not a status: fail here rather than compare it.
  if (out.code !== 0) throw new Error(`curl exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("policy: a blocked network gets each protocol's refusal; others get in", async () => {
  const t = await startTestServer({ policy: { block_networks: ["127.0.0.2/32"] } });
  try {
    const out = await connectAll([
      { port: t.port("smtp"), from: "127.0.0.2" },
      { port: t.port("imap"), from: "127.0.0.2" },
      { port: t.port("pop3"), from: "127.0.0.2" },
      { port: t.port("smtp"), from: "127.0.0.3" },
      { port: t.port("imap"), from: "127.0.0.3" },
      { port: t.port("pop3"), from: "127.0.0.3" },
    ]);
    assert.deepEqual(out.slice(0, 3).map((l) => l[0]), [
      "554 5.7.1 Connection refused by policy",
      "* BYE Connection refused by policy",
      "-ERR Connection refused by policy",
    ]);
    assert.match(out[3]![0]!, /^220 /);
    assert.match(out[4]![0]!, /^\* OK /);
    assert.match(out[5]![0]!, /^\+OK /);
    assert.equal(await curlStatus(t.port("http"), "127.0.0.2"), "403");
    // An allowed address gets the well-known redirect to the session resource (RFC 8620 §2.2).
    assert.equal(await curlStatus(t.port("http"), "127.0.0.3"), "307");
    // HTTP refusals are RFC 7807 problem JSON.
    const body = await new Deno.Command("curl", {
      args: ["-s", "-i", "--interface", "127.0.0.2", `http://127.0.0.1:${t.port("http")}/.well-known/jmap`],
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(body.stdout);
    assert.match(text, /content-type: application\/problem\+json/i);
    assert.deepEqual(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)), {
      type: "about:blank",
      status: 403,
      title: "Forbidden",
      detail: "Connection refused by policy",
    });
  } finally {
    await t.close();
  }
});

Deno.test("policy: the (N+1)th concurrent connection from one IP is refused while another IP gets in", async () => {
  const t = await startTestServer({ policy: { max_connections_per_ip: 3 } });
  try {
    const port = t.port("pop3");
    const out = await connectAll([
      { port, from: "127.0.0.2" },
      { port, from: "127.0.0.2" },
      { port, from: "127.0.0.2" },
      { port, from: "127.0.0.2" },
      { port, from: "127.0.0.3" },
      { port: t.port("imap"), from: "127.0.0.2" },
    ]);
    assert.deepEqual(out.map((l) => l[0]!.slice(0, 4)), ["+OK ", "+OK ", "+OK ", "-ERR", "+OK ", "* OK"]);
    assert.equal(out[3]![0], "-ERR Too many connections from your address");
  } finally {
    await t.close();
  }
});

Deno.test("policy: failed logins ban the IP on every protocol; the ban is listed and clearable", async () => {
  const t = await startTestServer({ policy: { ban_failures: 3, ban_window_seconds: 60, ban_seconds: 600 } });
  try {
    await t.addUser("u@example.org", "right");
    const port = t.port("pop3");
    const fail = ["USER u@example.org", "PASS wrong"];
    await connectAll([
      { port, from: "127.0.0.2", send: [...fail, ...fail] },
      { port: t.port("imap"), from: "127.0.0.2", send: ["a LOGIN u@example.org wrong"] },
    ]);
    const out = await connectAll([
      { port: t.port("smtp"), from: "127.0.0.2" },
      { port: t.port("imap"), from: "127.0.0.2" },
      { port, from: "127.0.0.2" },
      { port, from: "127.0.0.3", send: ["USER u@example.org", "PASS right"] },
    ]);
    const reason = "Too many authentication failures; try again later";
    assert.deepEqual(out.slice(0, 3).map((l) => l[0]), [
      `554 5.7.1 ${reason}`,
      `* BYE ${reason}`,
      `-ERR ${reason}`,
    ]);
    assert.match(out[3]![2]!, /^\+OK Maildrop/);
    assert.equal(await curlStatus(t.port("http"), "127.0.0.2"), "403");
    // The ban is in the database (what `tern ban list` reads), and clearing it lets the IP back in.
    const policy = t.srv.context.policy!;
    const bans = await policy.bans.list(new Date());
    assert.deepEqual(bans.map((b) => b.address), ["127.0.0.2"]);
    assert.equal(await policy.bans.clear("127.0.0.2"), true);
    const again = await connectAll([{ port, from: "127.0.0.2" }]);
    assert.match(again[0]![0]!, /^\+OK /);
  } finally {
    await t.close();
  }
});

Deno.test("policy: onClose runs exactly once per session on QUIT, idle timeout, client drop and shutdown", async () => {
  const dir = await Deno.makeTempDir();
  const opened: string[] = [];
  const closed: string[] = [];
  let resolveClosed: (() => void) | null = null;
  const waitClosed = (n: number) =>
    new Promise<void>((r) => {
      if (closed.length >= n) return r();
      resolveClosed = () => closed.length >= n && r();
    });
  const srv = await createServer(testConfig(dir, { pop3: { idle_timeout: 1 }, shutdown_grace: 0 }), {
    onConnect: (s: Session) => {
      opened.push(s.id);
      return { allow: true };
    },
    onClose: (s: Session) => {
      closed.push(s.id);
      resolveClosed?.();
    },
  });
  await srv.start();
  const port = srv.addresses.pop3.port;
  try {
    // QUIT
    await connectAll([{ port, from: "127.0.0.2", send: ["QUIT"], keep: false }]);
    await waitClosed(1);
    // Client drop
    await connectAll([{ port, from: "127.0.0.2", keep: false }]);
    await waitClosed(2);
    // Idle timeout: the server says goodbye after pop3.idle_timeout and closes.
    const idle = await python(
      `import socket,sys
s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),timeout=30); f=s.makefile("rb")
print(f.readline().decode().strip()); print(f.readline().decode().strip()); print(f.readline() == b"")`,
      [String(port)],
    );
    assert.deepEqual(idle.trim().split("\n"), [
      "+OK Tern POP3 server ready",
      "-ERR Autologout; idle for too long",
      "True",
    ]);
    await waitClosed(3);
    // Shutdown with a session still open.
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(100);
    await readWithTimeout(c, buf, () => ""); // the greeting: the session is open
    await srv.stop({ graceSeconds: 0 });
    await waitClosed(4);
    c.close();
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(opened.length, 4);
  assert.deepEqual([...closed].sort(), [...opened].sort());
  assert.equal(new Set(closed).size, closed.length);
});

Deno.test("policy: a throwing onConnect hook refuses with a generic reply and the server keeps serving", async () => {
  const dir = await Deno.makeTempDir();
  const srv = await createServer(testConfig(dir), {
    onConnect: (s: Session) => {
      if (s.remoteAddress === "127.0.0.2") throw new Error("hook bug");
      return { allow: true };
    },
  });
  await srv.start();
  try {
    const out = await connectAll([
      { port: srv.addresses.pop3.port, from: "127.0.0.2" },
      { port: srv.addresses.pop3.port, from: "127.0.0.3" },
      { port: srv.addresses.imap.port, from: "127.0.0.2" },
    ]);
    assert.equal(out[0]![0], "-ERR Service temporarily unavailable");
    assert.match(out[1]![0]!, /^\+OK /);
    assert.equal(out[2]![0], "* BYE Service temporarily unavailable");
  } finally {
    await srv.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("policy: failed JMAP Bearer tokens count towards the ban like other failed logins", async () => {
  const t = await startTestServer({ policy: { ban_failures: 2, ban_window_seconds: 60, ban_seconds: 600 } });
  try {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${t.port("http")}/jmap/session`, {
        headers: { authorization: "Bearer not-a-token" },
      });
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    // fetch() comes from 127.0.0.1: that address is now banned on every protocol.
    const out = await connectAll([{ port: t.port("pop3"), from: "127.0.0.1" }, {
      port: t.port("pop3"),
      from: "127.0.0.2",
    }]);
    assert.equal(out[0]![0], "-ERR Too many authentication failures; try again later");
    assert.match(out[1]![0]!, /^\+OK /);
  } finally {
    await t.close();
  }
});
