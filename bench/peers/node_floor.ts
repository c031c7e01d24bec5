/**
 * The SMTP floor of the peer harness: nodemailer's `smtp-server` that writes each message to its
 * own file and fsyncs it before the 250 (durable, like Tern), with no parsing, no store, no
 * policy. Runs as its own process so its CPU time is read alone.
 *
 * Protocol with the parent: prints `{"port": N}` once listening; stops and removes its dir when
 * stdin closes.
 *
 * @module
 */
import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";
import { open } from "node:fs/promises";

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-floor-" });
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    hideSTARTTLS: true,
    logger: false,
    disableReverseLookup: true,
    maxClients: 100_000,
    size: 64 * 1024 * 1024,
    onData(stream, _session, cb) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(c));
      stream.on("end", async () => {
        try {
          // Asynchronous file I/O (libuv's thread pool): concurrent sessions fsync in parallel.
          const file = await open(`${dir}/${++n}.eml`, "w");
          try {
            for (const c of chunks) await file.write(c);
            await file.sync();
          } finally {
            await file.close();
          }
          cb();
        } catch (e) {
          cb(e as Error);
        }
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  console.log(JSON.stringify({ port }));
  for await (const _ of Deno.stdin.readable) { /* until the parent closes stdin */ }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  Deno.exit(0);
}

if (import.meta.main) await main();
