/**
 * Parser throughput: `deno bench --allow-read core/mime/parse_bench.ts`. The corpus bench is
 * skipped when ../shared/corpus/ is absent.
 */
import { parseMime } from "./parse.ts";
import { extractText, summarize } from "./summary.ts";

const enc = new TextEncoder();

/** A multipart message of about `size` bytes: a text part, a big base64 part, a text part. */
function synthetic(size: number): Uint8Array {
  const line = enc.encode("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n");
  const head = enc.encode(
    'From: a@example.org\r\nTo: b@example.org\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary="XYZ"\r\n\r\n' +
      "--XYZ\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XYZ\r\nContent-Type: application/octet-stream\r\n" +
      "Content-Transfer-Encoding: base64\r\n\r\n",
  );
  const tail = enc.encode(
    "--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
      "text --XYZ not a boundary\r\n".repeat(1000) +
      "--XYZ--\r\n",
  );
  const n = Math.floor((size - head.length - tail.length) / line.length);
  const out = new Uint8Array(head.length + n * line.length + tail.length);
  out.set(head);
  for (let i = 0; i < n; i++) out.set(line, head.length + i * line.length);
  out.set(tail, head.length + n * line.length);
  return out;
}

const big = synthetic(30 * 1024 * 1024);
Deno.bench("parseMime synthetic 30 MB", () => void parseMime(big));
Deno.bench("summarize synthetic 30 MB", () => void summarize(big));
Deno.bench("extractText synthetic 30 MB", () => void extractText(big));

const corpus = new URL("../../../shared/corpus/", import.meta.url);
let messages: Uint8Array[] = [];
try {
  messages = [...Deno.readDirSync(corpus)]
    .filter((e) => e.name.endsWith(".eml"))
    .map((e) => Deno.readFileSync(new URL(e.name, corpus)));
} catch {
  messages = [];
}
Deno.bench({
  name: "parseMime whole corpus",
  ignore: messages.length === 0,
  fn: () => messages.forEach((m) => parseMime(m)),
});
Deno.bench({
  name: "summarize whole corpus",
  ignore: messages.length === 0,
  fn: () => messages.forEach((m) => summarize(m)),
});
