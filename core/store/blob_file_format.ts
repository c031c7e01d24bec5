/**
 * The compressed blob file format (`<sha256 hex>.z` in `FsBlobStore`): the blob's bytes cut into
 * chunks of `CHUNK_SIZE` bytes, each stored as its own raw DEFLATE stream (RFC 1951) when that
 * saves at least a tenth of it, else as it is; then an index and a fixed-size trailer:
 *
 * ```
 * chunk 0 | chunk 1 | … | chunk n-1 | index: n × 8 bytes | trailer (24 bytes)
 * index entry: u32 BE (bit 31 set = deflated; bits 0–30 = the chunk's stored length)
 *              | u32 BE CRC-32 of the chunk's raw bytes
 * trailer: raw size (u64 BE) | chunk size (u32 BE) | n (u32 BE) | magic "TernZ\0\0\1"
 * ```
 *
 * Chunks are independent, so a byte range inflates only the chunks it covers (IMAP partial
 * FETCH, JMAP blob ranges), and deflate's 32 KiB window makes the split cost well under 1% of the
 * compressed size. The index sits after the chunks so a put can write chunks as a stream arrives;
 * when no chunk deflated, the file's first `raw size` bytes are the blob itself and the put keeps
 * a plain file instead. The blob id stays the SHA-256 of the raw bytes; the CRC-32 per chunk
 * makes a damaged chunk an error on read instead of other bytes (DEFLATE has no checksum).
 *
 * Pure functions over bytes; the store does the I/O.
 *
 * @module
 */
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";

/** Raw bytes per chunk. */
export const CHUNK_SIZE = 256 * 1024;
/** Bytes of the trailer. */
export const TRAILER_SIZE = 24;
/** File name suffix of compressed blobs (a plain blob file has none). */
export const COMPRESSED_SUFFIX = ".z";

const MAGIC = [0x54, 0x65, 0x72, 0x6e, 0x5a, 0x00, 0x00, 0x01]; // "TernZ\0\0\1"
const DEFLATED_BIT = 0x8000_0000;
const MAX_STORED = 0x7fff_ffff;
/** Bytes of an index entry. */
export const ENTRY_SIZE = 8;

/** How one chunk is stored. */
export interface ChunkEntry {
  /** Bytes of the chunk in the file. */
  stored: number;
  /** Whether those bytes are a raw DEFLATE stream (else the chunk's bytes as they are). */
  deflated: boolean;
  /** CRC-32 of the chunk's raw bytes (`chunkCrc`). */
  crc: number;
}

/** Where each chunk of a compressed blob file is. */
export interface BlobFileLayout {
  /** Size of the blob (the inflated bytes). */
  rawSize: number;
  /** Raw bytes per chunk (the last chunk may be shorter). */
  chunkSize: number;
  /** Per chunk: offset in the file, stored length, whether deflated, CRC-32 of the raw bytes. */
  chunks: { offset: number; stored: number; deflated: boolean; crc: number }[];
}

/**
 * Smallest blob stored compressed, in the database (`TieredBlobStore`) and in files
 * (`FsBlobStore`) alike: smaller ones fit a filesystem block or two anyway.
 */
export const COMPRESS_MIN = 8 * 1024;

/**
 * The raw DEFLATE (RFC 1951) of `data` when it saves at least a tenth, else null: how every
 * compressed blob form decides (a chunk of a blob file, an inline blob row).
 */
export function deflateIfWorth(data: Uint8Array): Uint8Array | null {
  const z = deflateRawSync(data);
  return z.length <= data.length * 0.9 ? new Uint8Array(z.buffer, z.byteOffset, z.length) : null;
}

/** The CRC-32 (ISO 3309) of a chunk's raw bytes, as the index holds it. */
export function chunkCrc(raw: Uint8Array): number {
  return crc32(raw) >>> 0;
}

/** The index and trailer that end a compressed blob file of these chunks. */
export function encodeFooter(entries: ChunkEntry[], rawSize: number, chunkSize = CHUNK_SIZE): Uint8Array {
  const out = new Uint8Array(entries.length * ENTRY_SIZE + TRAILER_SIZE);
  const view = new DataView(out.buffer);
  entries.forEach((e, i) => {
    if (e.stored < 0 || e.stored > MAX_STORED) throw new RangeError("Chunk too large");
    view.setUint32(i * ENTRY_SIZE, (e.deflated ? DEFLATED_BIT : 0) + e.stored);
    view.setUint32(i * ENTRY_SIZE + 4, e.crc);
  });
  const t = entries.length * ENTRY_SIZE;
  view.setUint32(t, Math.floor(rawSize / 2 ** 32));
  view.setUint32(t + 4, rawSize >>> 0);
  view.setUint32(t + 8, chunkSize);
  view.setUint32(t + 12, entries.length);
  out.set(MAGIC, t + 16);
  return out;
}

/** The trailer's fields; throws when the bytes are not a trailer of this format. */
export function parseTrailer(trailer: Uint8Array): { rawSize: number; chunkSize: number; count: number } {
  if (trailer.length !== TRAILER_SIZE) throw new BlobFileError("truncated trailer");
  for (let i = 0; i < MAGIC.length; i++) {
    if (trailer[16 + i] !== MAGIC[i]) throw new BlobFileError("not a compressed blob file");
  }
  const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.length);
  const rawSize = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  const chunkSize = view.getUint32(8);
  const count = view.getUint32(12);
  if (chunkSize === 0 || count !== Math.ceil(rawSize / chunkSize) || !Number.isSafeInteger(rawSize)) {
    throw new BlobFileError("inconsistent trailer");
  }
  return { rawSize, chunkSize, count };
}

/**
 * The layout of a compressed blob file from its index (the `ENTRY_SIZE × count` bytes before the trailer),
 * checked against the file's size.
 */
export function parseIndex(
  index: Uint8Array,
  trailer: { rawSize: number; chunkSize: number; count: number },
  fileSize: number,
): BlobFileLayout {
  const { rawSize, chunkSize, count } = trailer;
  if (index.length !== count * ENTRY_SIZE) throw new BlobFileError("truncated index");
  const view = new DataView(index.buffer, index.byteOffset, index.length);
  const chunks: BlobFileLayout["chunks"] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const v = view.getUint32(i * ENTRY_SIZE);
    const crc = view.getUint32(i * ENTRY_SIZE + 4);
    const deflated = v >= DEFLATED_BIT;
    const stored = v & MAX_STORED;
    const rawLength = Math.min(chunkSize, rawSize - i * chunkSize);
    if (!deflated && stored !== rawLength) throw new BlobFileError("stored chunk of the wrong length");
    chunks.push({ offset, stored, deflated, crc });
    offset += stored;
  }
  if (offset + index.length + TRAILER_SIZE !== fileSize) throw new BlobFileError("file size does not match");
  return { rawSize, chunkSize, chunks };
}

/** The layout of a whole compressed blob file held in memory. */
export function layoutOf(file: Uint8Array): BlobFileLayout {
  if (file.length < TRAILER_SIZE) throw new BlobFileError("truncated trailer");
  const trailer = parseTrailer(file.subarray(file.length - TRAILER_SIZE));
  const indexStart = file.length - TRAILER_SIZE - trailer.count * ENTRY_SIZE;
  if (indexStart < 0) throw new BlobFileError("truncated index");
  return parseIndex(file.subarray(indexStart, file.length - TRAILER_SIZE), trailer, file.length);
}

/** Raw bytes of chunk `i` from its stored bytes (inflated when deflated; length and CRC checked). */
export function chunkBytes(layout: BlobFileLayout, i: number, stored: Uint8Array): Uint8Array {
  const c = layout.chunks[i]!;
  const raw = c.deflated ? inflateChunk(layout, i, stored) : stored;
  if (chunkCrc(raw) !== c.crc) throw new BlobFileError(`chunk ${i} fails its CRC-32`);
  return raw;
}

function inflateChunk(layout: BlobFileLayout, i: number, stored: Uint8Array): Uint8Array {
  const rawLength = Math.min(layout.chunkSize, layout.rawSize - i * layout.chunkSize);
  let raw: Uint8Array;
  try {
    const b = inflateRawSync(stored, { maxOutputLength: Math.max(1, rawLength) });
    raw = new Uint8Array(b.buffer, b.byteOffset, b.length);
  } catch (err) {
    throw new BlobFileError(`chunk ${i} does not inflate: ${err instanceof Error ? err.message : err}`);
  }
  if (raw.length !== rawLength) throw new BlobFileError(`chunk ${i} inflates to the wrong size`);
  return raw;
}

/** The blob's bytes from a whole compressed blob file. Throws `BlobFileError` when it is damaged. */
export function decodeBlobFile(file: Uint8Array): Uint8Array {
  const layout = layoutOf(file);
  const out = new Uint8Array(layout.rawSize);
  layout.chunks.forEach((c, i) => {
    out.set(chunkBytes(layout, i, file.subarray(c.offset, c.offset + c.stored)), i * layout.chunkSize);
  });
  return out;
}

/** A compressed blob file that does not follow the format (damaged or truncated). */
export class BlobFileError extends Error {
  /** @param message what is wrong */
  constructor(message: string) {
    super(`Damaged blob file: ${message}`);
    this.name = "BlobFileError";
  }
}
