/**
 * Child process of crash_test.ts (not a test): delivers messages one by one and prints each
 * acknowledged message id; the parent kills it with SIGKILL at an arbitrary point.
 *
 * @module
 */
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

const [dataDir, accountId, mailboxId] = Deno.args;
const store = await SqliteStore.open({ dataDir: dataDir! });
const enc = new TextEncoder();
const out = Deno.stdout.writable.getWriter();
for (let i = 0;; i++) {
  const raw = enc.encode(
    `Message-ID: <${i}.${crypto.randomUUID()}@crash>\r\nSubject: crash ${i}\r\n\r\nbody ${i}\r\n`,
  );
  // Several writes in flight, as concurrent SMTP sessions would have.
  const batch = await Promise.all(
    [0, 1, 2, 3].map(async () => {
      const { blobId } = await store.blobs.put(raw.slice());
      const [added] = await store.addMessages([{ accountId: accountId!, mailboxIds: [mailboxId!], blobId }]);
      return added!.id;
    }),
  );
  await out.write(enc.encode(batch.map((id) => `${id}\n`).join("")));
}
