import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnServe, tern } from "./_tern.ts";
import { readWithTimeout } from "../support/timed_source.ts";

const LISTENERS = [
  "smtp",
  "submission",
  "submissions",
  "imap",
  "imaps",
  "pop3",
  "pop3s",
  "managesieve",
  "http",
];

/** Splits a text stream into lines. */
function lineSplitter(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) controller.enqueue(p);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

/** Reads one reply line (up to CRLF) from a TCP connection; each read bounded (10 s). */
async function readReply(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(1);
  const bytes: number[] = [];
  const received = () => new TextDecoder().decode(new Uint8Array(bytes));
  while (bytes.at(-1) !== 0x0a) {
    if (await readWithTimeout(conn, buf, received) === null) break;
    bytes.push(buf[0] ?? 0);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

Deno.test("tern serve runs under the start task's permissions, serves CLI-made accounts, stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-serve-" });
  try {
    // Every listener on a free port; plaintext login allowed on the IMAP listener for the check below.
    const listeners = LISTENERS.map((n) => `[listeners.${n}]\nport = 0\n`).join("")
      .replace("[listeners.imap]\n", "[listeners.imap]\nallow_plaintext_auth = true\n");
    await Deno.writeTextFile(join(dir, "tern.toml"), `local_domains = ["example.com"]\n${listeners}`);
    const add = await tern(dir, ["domain", "add", "example.com"]);
    assert.equal(add.code, 0, add.stderr);
    const user = await tern(
      dir,
      ["user", "add", "ada@example.com", "--password-stdin"],
      "cli-made-password\n",
    );
    assert.equal(user.code, 0, user.stderr);

    const child = await spawnServe(dir);
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter()).getReader();
    const ports: Record<string, number> = {};
    const seen: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen.push(value);
      const entry = JSON.parse(value) as { message: string; listener?: string; port?: number };
      if (entry.message === "listening" && entry.listener && entry.port) ports[entry.listener] = entry.port;
      if (entry.message === "server started") break;
    }
    assert.deepEqual(Object.keys(ports).sort(), [...LISTENERS].sort(), seen.join("\n"));

    const conn = await Deno.connect({ hostname: "127.0.0.1", port: ports.smtp ?? 0 });
    try {
      assert.match(await readReply(conn), /^220 /);
    } finally {
      conn.close();
    }

    // Accounts made by the CLI log in over IMAP (the CLI and the server agree on secrets), also one
    // added while the server runs.
    const live = await tern(
      dir,
      ["user", "add", "bob@example.com", "--password-stdin"],
      "added-while-running",
    );
    assert.equal(live.code, 0, live.stderr);
    const accounts: [string, string][] = [
      ["ada@example.com", "cli-made-password"],
      ["bob@example.com", "added-while-running"],
    ];
    for (const [user, password] of accounts) {
      const imap = await Deno.connect({ hostname: "127.0.0.1", port: ports.imap ?? 0 });
      try {
        assert.match(await readReply(imap), /^\* OK /);
        await imap.write(new TextEncoder().encode(`a1 LOGIN "${user}" "${password}"\r\n`));
        let reply = await readReply(imap);
        while (reply.startsWith("* ")) reply = await readReply(imap);
        assert.match(reply, /^a1 OK /, user);
        await imap.write(new TextEncoder().encode("a2 LOGOUT\r\n"));
        while (!(reply = await readReply(imap)).startsWith("a2 ") && reply !== "");
      } finally {
        imap.close();
      }
    }

    child.kill("SIGTERM");
    const rest: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest.push(value);
    }
    const status = await child.status;
    assert.equal(status.code, 0, rest.join("\n"));
    assert.ok(rest.some((l) => l.includes('"server stopped"')), rest.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
