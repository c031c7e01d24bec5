/**
 * DMARC aggregate reports we receive (RFC 7489 §7.2): a delivered message whose subject names a
 * report (§7.2.1.1 "Report Domain: … Report-ID: …") has its XML attachment (gzip, zip or plain)
 * parsed into a summary kept in `Store.dmarc`, listed by `tern dmarc reports`. Decompression and
 * parsing are bounded; a malformed report is skipped with a log line.
 *
 * @module
 */
import type { PostDeliveryHook } from "../delivery/pipeline.ts";
import type { Logger } from "../log/logger.ts";
import { decodedBody } from "../mime/body.ts";
import { parseMime } from "../mime/parse.ts";
import type { MimePart } from "../mime/types.ts";
import type { Clock } from "../clock.ts";
import { headerEnd } from "./forged_results.ts";
import type { Store } from "../store/store.ts";
import type { DmarcCountedRow, DmarcReport } from "../store/records/dmarc.ts";

/** Largest report XML accepted once decompressed. */
export const MAX_REPORT_BYTES = 20 * 1024 * 1024;
/** Most rows kept per report. */
const MAX_ROWS = 10_000;

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

/** Decompresses with `format`, failing beyond `MAX_REPORT_BYTES`. */
async function inflate(data: Uint8Array, format: "gzip" | "deflate-raw"): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream(format));
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of stream) {
    size += c.length;
    if (size > MAX_REPORT_BYTES) throw new RangeError("report too large");
    chunks.push(c);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** The first file of a zip archive (PKWARE APPNOTE §4.3.7 local file header), stored or deflated. */
async function unzipFirst(data: Uint8Array): Promise<Uint8Array> {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 30 || v.getUint32(0, true) !== 0x04034b50) throw new TypeError("not a zip archive");
  const flags = v.getUint16(6, true);
  const method = v.getUint16(8, true);
  let compressed = v.getUint32(18, true);
  const start = 30 + v.getUint16(26, true) + v.getUint16(28, true);
  // Bit 3: sizes follow the data; then take everything up to the central directory.
  if (flags & 0x08 || compressed === 0) {
    let end = data.length - 4;
    for (let i = start; i < data.length - 4; i++) {
      if (v.getUint32(i, true) === 0x02014b50) {
        end = i;
        break;
      }
    }
    compressed = end - start;
  }
  const body = data.subarray(start, start + compressed);
  if (method === 0) return body;
  if (method === 8) return await inflate(body, "deflate-raw");
  throw new TypeError(`unsupported zip method ${method}`);
}

function leaves(p: MimePart): MimePart[] {
  return p.children.length > 0 ? p.children.flatMap(leaves) : [p];
}

/** The report XML carried by a message (gzip, zip or XML part), or null. */
export async function extractReportXml(raw: Uint8Array): Promise<string | null> {
  const root = parseMime(raw);
  for (const part of leaves(root)) {
    const type = `${part.type}/${part.subtype}`;
    const name = (part.disposition?.params.filename ?? part.params.name ?? "").toLowerCase();
    let bytes: Uint8Array | null = null;
    if (/gzip/.test(type) || name.endsWith(".gz")) bytes = await inflate(decodedBody(raw, part), "gzip");
    else if (/zip/.test(type) || name.endsWith(".zip")) bytes = await unzipFirst(decodedBody(raw, part));
    else if (/xml/.test(type) || name.endsWith(".xml")) bytes = decodedBody(raw, part);
    if (bytes && bytes.length <= MAX_REPORT_BYTES) {
      const xml = utf8.decode(bytes);
      if (/<feedback[\s>]/.test(xml)) return xml;
    }
  }
  return null;
}

function unescape(s: string): string {
  return s.replace(/&(lt|gt|amp|apos|quot|#\d+|#x[0-9a-f]+);/gi, (_, e: string) => {
    const m: Record<string, string> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };
    if (m[e.toLowerCase()]) return m[e.toLowerCase()]!;
    const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : "";
  }).trim();
}

/** The text of the first `<tag>` in `xml` (no nested tag of the same name in this schema). */
function tag(xml: string, name: string): string {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([^]*?)</${name}>`).exec(xml);
  return m ? unescape(m[1]!) : "";
}

function all(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([^]*?)</${name}>`, "g"))].map((m) => m[1]!);
}

/** The summary of an aggregate report (RFC 7489 Appendix C), or null when it is not one. */
export function parseAggregateReport(xml: string, received: Date): DmarcReport | null {
  const meta = tag(xml, "report_metadata");
  const policy = tag(xml, "policy_published");
  const orgName = tag(meta, "org_name");
  const reportId = tag(meta, "report_id");
  const domain = tag(policy, "domain");
  const begin = Number(tag(tag(meta, "date_range"), "begin"));
  const end = Number(tag(tag(meta, "date_range"), "end"));
  if (!orgName || !reportId || !domain || !Number.isFinite(begin) || !Number.isFinite(end)) return null;
  const rows: DmarcCountedRow[] = [];
  let messages = 0;
  let passed = 0;
  for (const rec of all(xml, "record").slice(0, MAX_ROWS)) {
    const row = tag(rec, "row");
    const pe = tag(row, "policy_evaluated");
    const count = Math.max(0, Math.floor(Number(tag(row, "count")) || 0));
    const dkim = tag(pe, "dkim") === "pass" ? "pass" : "fail";
    const spf = tag(pe, "spf") === "pass" ? "pass" : "fail";
    const disposition = tag(pe, "disposition");
    const override = tag(tag(pe, "reason"), "type");
    const auth = tag(rec, "auth_results");
    const spfRes = tag(auth, "spf");
    messages += count;
    if (dkim === "pass" || spf === "pass") passed += count;
    rows.push({
      sourceIp: tag(row, "source_ip"),
      headerFrom: tag(tag(rec, "identifiers"), "header_from"),
      disposition: disposition === "reject" || disposition === "quarantine" ? disposition : "none",
      dkim,
      spf,
      ...(override === "forwarded" || override === "local_policy" || override === "sampled_out"
        ? { override }
        : {}),
      envelopeFrom: tag(tag(rec, "identifiers"), "envelope_from"),
      dkimResults: all(auth, "dkim").map((d) => ({
        domain: tag(d, "domain"),
        selector: tag(d, "selector"),
        result: tag(d, "result"),
      })),
      spfResult: {
        domain: tag(spfRes, "domain"),
        scope: tag(spfRes, "scope") === "helo" ? "helo" : "mfrom",
        result: tag(spfRes, "result"),
      },
      count,
    });
  }
  return {
    orgName,
    reportId,
    domain: domain.toLowerCase(),
    begin: new Date(begin * 1000),
    end: new Date(end * 1000),
    received,
    messages,
    passed,
    rows,
  };
}

/** True when a message's subject names a DMARC report (RFC 7489 §7.2.1.1). */
export function looksLikeReport(raw: Uint8Array): boolean {
  // Only the header section is decoded (every delivery passes here, most of them not reports).
  const end = headerEnd(raw);
  const head = latin1.decode(raw.subarray(0, Math.min(end === -1 ? raw.length : end, 64 * 1024)));
  const m = /^subject:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im.exec(head);
  return m !== null && /report\s+domain:/i.test(m[1]!);
}

/** The post-delivery hook keeping received aggregate reports. */
export function dmarcReportHook(store: Store, clock: Clock, log: Logger): PostDeliveryHook {
  return {
    name: "dmarc-reports",
    async run(d) {
      const raw = await d.raw();
      if (!raw || !looksLikeReport(raw)) return;
      let report: DmarcReport | null = null;
      try {
        const xml = await extractReportXml(raw);
        report = xml ? parseAggregateReport(xml, clock.now()) : null;
      } catch (e) {
        log.info("dmarc report not parsed", {
          queue_id: d.id,
          error: e instanceof Error ? e.message : String(e),
        });
        return;
      }
      if (!report) return;
      const added = await store.dmarc.putReport(report);
      log.info("dmarc report received", {
        queue_id: d.id,
        org: report.orgName,
        domain: report.domain,
        messages: report.messages,
        duplicate: !added,
      });
    },
  };
}
