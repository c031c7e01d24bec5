import assert from "node:assert/strict";
import { decodedBody, partText } from "./body.ts";
import { parseMime } from "./parse.ts";
import { bytes, latin1Bytes } from "./_test_util.ts";

Deno.test("decodedBody removes the transfer encoding", () => {
  const raw = bytes(
    "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\naGVs\nbG8=\n--b\nContent-Transfer-Encoding: quoted-printable\n\na=3Db=\nc\n--b--\n",
  );
  const root = parseMime(raw);
  assert.equal(new TextDecoder().decode(decodedBody(raw, root.children[0]!)), "hello");
  assert.equal(new TextDecoder().decode(decodedBody(raw, root.children[1]!)), "a=bc");
});

Deno.test("partText decodes the charset", () => {
  const raw = latin1Bytes("Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9");
  assert.equal(partText(raw, parseMime(raw)), "café");
  const qp = bytes(
    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9",
  );
  assert.equal(partText(qp, parseMime(qp)), "café");
  const undeclared = bytes("\ncafé");
  assert.equal(partText(undeclared, parseMime(undeclared)), "café");
});
