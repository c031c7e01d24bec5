/**
 * Defect 8 of the hardening issue, over the wire with Python's socket module: `BDAT
 * 00000000000000000000000005 LAST` (RFC 3030 `chunk-size = 1*DIGIT`) was refused, and after
 * `BDAT 0x10 LAST` the server answered 501 and closed without a closing reply.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startAttackEnv } from "./_env.ts";
import { python } from "../support/line_client.ts";

const CLIENT = `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        l = f.readline()
        if not l:
            return " | ".join(lines + ["<EOF>"])
        lines.append(l.decode().rstrip("\\r\\n"))
        if l[3:4] == b" ":
            return " | ".join(lines)
reply()
for c in [b"EHLO client.example.net", b"MAIL FROM:<p@example.net>", b"RCPT TO:<alice@example.org>"]:
    s.sendall(c + b"\\r\\n"); reply()
body = b"Subject: zeros\\r\\n\\r\\nhi\\r\\n"
s.sendall(b"BDAT " + str(len(body)).encode().rjust(26, b"0") + b" LAST\\r\\n" + body)
print(reply())
s.sendall(b"MAIL FROM:<p@example.net>\\r\\n"); reply()
s.sendall(b"RCPT TO:<alice@example.org>\\r\\n"); reply()
s.sendall(b"BDAT 0x10 LAST\\r\\n0123456789abcdef")
print(reply())
print(reply())
print(reply())
`;

Deno.test("defect: BDAT with leading zeros is accepted; a hexadecimal size gets 501 and 421 before the close", async () => {
  const env = await startAttackEnv();
  try {
    const out = (await python(CLIENT, [String(env.port("smtp"))])).trim().split("\n");
    assert.equal(out.length, 4, out.join("\n"));
    assert.match(out[0]!, /^250 2\.0\.0 Ok: queued as /);
    assert.equal(out[1], "501 5.5.4 Syntax: BDAT <size> [LAST]");
    assert.match(out[2]!, /^421 4\.5\.4 .*closing connection$/);
    assert.equal(out[3], "<EOF>");
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});
