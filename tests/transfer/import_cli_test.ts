/**
 * `tern import` of the whole corpus written by Python's `mailbox` module as mbox and as Maildir, and
 * as a directory of .eml files: every message stored byte for byte with its flags and folder; an
 * import killed part way (kill -9 of the real process) and run again ends with every message once;
 * `tern export` (mbox and Maildir) imports back into another account unchanged.
 */
import assert from "node:assert/strict";
import { runCli } from "../../core/cli/run.ts";
import { MemoryIo } from "../../core/cli/io.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { createAuthService } from "../../core/auth/service.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { systemClock } from "../../core/clock.ts";
import { python } from "../support/line_client.ts";
import {
  comparable,
  comparableFromMbox,
  corpusNames,
  corpusPath,
  dumpAccount,
  type Dumped,
} from "./_fixtures.ts";

const ignore = (await corpusNames()).length === 0;

async function tern(args: string[]) {
  const io = new MemoryIo();
  const code = await runCli(args, io, { version: "0.0.0" });
  return { code, out: io.stdout, err: io.stderr, bytes: io.stdoutBytes };
}

async function withData<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "tern-import-" });
  try {
    const store = await SqliteStore.open({ dataDir: `${dir}/data` });
    const config = defaultConfig();
    const auth = createAuthService(store, config, systemClock);
    await store.addDomain("example.org");
    for (const a of ["ada@example.org", "bob@example.org"]) {
      await store.createAccount({ address: a, secrets: await auth.deriveSecrets("pw") });
    }
    await store.close();
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function dump(dir: string, address: string): Promise<Dumped[]> {
  const store = await SqliteStore.open({ dataDir: `${dir}/data` });
  try {
    return await dumpAccount(store, (await store.getAccountByAddress(address))!);
  } finally {
    await store.close();
  }
}

/**
 * The distinct comparable hashes of the corpus read back from an mbox (Python takes a leading "From "
 * line as the separator; mbox state fields are metadata).
 */
async function corpusHashes(): Promise<string[]> {
  const set = new Set<string>();
  for (const n of await corpusNames()) set.add(comparableFromMbox(await Deno.readFile(corpusPath(n))));
  return [...set].sort();
}

/**
 * Python's `mailbox` module writes the corpus messages `names` into a Maildir: message i goes to
 * folder `folders[i % n]` ("" is INBOX), is moved to cur/ with flags `flags[i % m]`, and gets the
 * modification time `epoch + i`.
 */
async function writeMaildir(
  path: string,
  names: string[],
  folders: string[],
  flags: string[],
  epoch: number,
) {
  await python(
    `
import json, mailbox, os, sys
md = mailbox.Maildir(sys.argv[1])
folders = [md if f == "" else md.add_folder(f) for f in json.loads(sys.argv[2])]
flags = json.loads(sys.argv[3])
epoch = int(sys.argv[4])
for i, path in enumerate(sys.argv[5:]):
    box = folders[i % len(folders)]
    key = box.add(open(path, "rb").read())
    src = os.path.join(box._path, box._lookup(key))
    dst = os.path.join(box._path, "cur", key + ":2," + flags[i % len(flags)])
    os.rename(src, dst)
    os.utime(dst, (epoch + i, epoch + i))
`,
    [path, JSON.stringify(folders), JSON.stringify(flags), String(epoch), ...names.map(corpusPath)],
  );
}

const WRITE_MBOX = `
import mailbox, sys
mb = mailbox.mbox(sys.argv[1])
for path in sys.argv[2:]:
    mb.add(open(path, "rb").read())
mb.flush(); mb.close()
`;

Deno.test({
  name: "tern import mbox stores every corpus message of a Python-written mbox once, byte for byte",
  ignore,
  async fn() {
    await withData(async (dir) => {
      const names = await corpusNames();
      await python(WRITE_MBOX, [`${dir}/corpus.mbox`, ...names.map(corpusPath)]);
      const r = await tern([
        "import",
        "mbox",
        "ada@example.org",
        `${dir}/corpus.mbox`,
        "--folder",
        "Old/Corpus",
        "--data-dir",
        `${dir}/data`,
        "--json",
      ]);
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(r.out);
      const want = await corpusHashes();
      assert.equal(report.imported, want.length);
      assert.deepEqual(report.createdFolders, ["Old", "Old/Corpus"]);
      const got = await dump(dir, "ada@example.org");
      assert.ok(got.every((m) => m.folder === "Old/Corpus"));
      assert.deepEqual(got.map((m) => m.hash).sort(), want);
      // Run again: nothing new.
      const again = await tern([
        "import",
        "mbox",
        "ada@example.org",
        `${dir}/corpus.mbox`,
        "--folder",
        "Old/Corpus",
        "--data-dir",
        `${dir}/data`,
        "--json",
      ]);
      assert.deepEqual([JSON.parse(again.out).imported, JSON.parse(again.out).duplicates], [0, names.length]);
    });
  },
});

Deno.test({
  name: "tern import maildir keeps folders, flags and internal dates of a Python-written Maildir",
  ignore,
  async fn() {
    await withData(async (dir) => {
      const names = (await corpusNames()).slice(0, 60);
      // Python writes the messages; the script moves each to cur/ with flags and sets its mtime.
      await writeMaildir(
        `${dir}/Maildir`,
        names,
        ["", "Sent", "Work.Reports"],
        ["S", "FS", "RS", "", "DS"],
        1600000000,
      );
      const r = await tern([
        "import",
        "maildir",
        "ada@example.org",
        `${dir}/Maildir`,
        "--data-dir",
        `${dir}/data`,
        "--json",
      ]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out).createdFolders, ["Work", "Work/Reports"]);
      const got = await dump(dir, "ada@example.org");
      const keywords: Record<string, string[]> = {
        S: ["$seen"],
        FS: ["$flagged", "$seen"],
        RS: ["$answered", "$seen"],
        "": [],
        DS: ["$draft", "$seen"],
      };
      const expected = await Promise.all(names.map(async (n, i) => ({
        folder: ["INBOX", "Sent", "Work/Reports"][i % 3]!,
        keywords: keywords[["S", "FS", "RS", "", "DS"][i % 5]!]!,
        receivedAt: (1600000000 + i) * 1000,
        hash: comparable(await Deno.readFile(corpusPath(n))),
      })));
      const strip = (d: { folder: string; keywords: string[]; receivedAt: number; hash: string }) =>
        `${d.folder} ${d.keywords.join(",")} ${d.receivedAt} ${d.hash}`;
      assert.deepEqual(got.map(strip).sort(), expected.map(strip).sort());
    });
  },
});

Deno.test({
  name: "tern import eml-dir takes subdirectories as folders and top-level files into INBOX",
  ignore,
  async fn() {
    await withData(async (dir) => {
      const names = (await corpusNames()).slice(0, 10);
      await Deno.mkdir(`${dir}/eml/Lists/tern`, { recursive: true });
      for (const [i, n] of names.entries()) {
        await Deno.copyFile(corpusPath(n), i < 5 ? `${dir}/eml/${n}` : `${dir}/eml/Lists/tern/${n}`);
      }
      const r = await tern([
        "import",
        "eml-dir",
        "ada@example.org",
        `${dir}/eml`,
        "--data-dir",
        `${dir}/data`,
      ]);
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        /^Imported 10 message\(s\), 0 already present, 0 skipped; created Lists, Lists\/tern$/m,
      );
      const got = await dump(dir, "ada@example.org");
      assert.deepEqual(got.map((m) => m.folder).sort(), [
        ...Array(5).fill("INBOX"),
        ...Array(5).fill("Lists/tern"),
      ]);
    });
  },
});

Deno.test({
  name: "an import killed part way (kill -9) and run again ends with every message exactly once",
  ignore,
  async fn() {
    await withData(async (dir) => {
      const names = await corpusNames();
      await python(WRITE_MBOX, [`${dir}/corpus.mbox`, ...names.map(corpusPath)]);
      const main = new URL("../../main.ts", import.meta.url).pathname;
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          main,
          "import",
          "mbox",
          "ada@example.org",
          `${dir}/corpus.mbox`,
          "--data-dir",
          `${dir}/data`,
          "--batch",
          "5",
          "--progress-every",
          "40",
        ],
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      // Kill at the first progress line: some batches are committed, the rest are not.
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!/import: \d+\/?\d* messages/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      child.kill("SIGKILL");
      await reader.cancel();
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL", `import finished before it was killed: ${seen}`);
      const partial = (await dump(dir, "ada@example.org")).length;
      const want = await corpusHashes();
      assert.ok(partial > 0 && partial < want.length, `killed after ${partial} of ${want.length}`);

      const r = await tern([
        "import",
        "mbox",
        "ada@example.org",
        `${dir}/corpus.mbox`,
        "--data-dir",
        `${dir}/data`,
        "--json",
      ]);
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(r.out);
      assert.equal(report.imported, want.length - partial);
      const got = await dump(dir, "ada@example.org");
      assert.deepEqual(got.map((m) => m.hash).sort(), want);
    });
  },
});

Deno.test({
  name: "tern export as Maildir and as mbox imports back into another account unchanged",
  ignore,
  async fn() {
    await withData(async (dir) => {
      const names = (await corpusNames()).slice(0, 40);
      await writeMaildir(`${dir}/src`, names, ["", "Archive.2019"], ["S", "FS", ""], 1500000000);
      assert.equal(
        (await tern(["import", "maildir", "ada@example.org", `${dir}/src`, "--data-dir", `${dir}/data`]))
          .code,
        0,
      );
      const original = await dump(dir, "ada@example.org");

      let r = await tern([
        "export",
        "ada@example.org",
        "--format",
        "maildir",
        "--output",
        `${dir}/out-md`,
        "--data-dir",
        `${dir}/data`,
      ]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /^Exported 40 message\(s\)$/m);
      r = await tern(["import", "maildir", "bob@example.org", `${dir}/out-md`, "--data-dir", `${dir}/data`]);
      assert.equal(r.code, 0, r.err);
      const viaMaildir = await dump(dir, "bob@example.org");
      const key = (d: Dumped) => `${d.folder} ${d.keywords.join(",")} ${d.receivedAt} ${d.hash}`;
      assert.deepEqual(viaMaildir.map(key), original.map(key));

      // mbox: one file per folder under --output, subfolders in .sbd directories (Thunderbird's layout).
      r = await tern([
        "export",
        "ada@example.org",
        "--output",
        `${dir}/out-mbox`,
        "--data-dir",
        `${dir}/data`,
      ]);
      assert.equal(r.code, 0, r.err);
      assert.ok((await Deno.stat(`${dir}/out-mbox/Archive.sbd/2019`)).isFile);
      const store = await SqliteStore.open({ dataDir: `${dir}/data` });
      const auth = createAuthService(store, defaultConfig(), systemClock);
      await store.createAccount({ address: "cy@example.org", secrets: await auth.deriveSecrets("pw") });
      await store.close();
      r = await tern(["import", "mbox", "cy@example.org", `${dir}/out-mbox`, "--data-dir", `${dir}/data`]);
      assert.equal(r.code, 0, r.err);
      const viaMbox = await dump(dir, "cy@example.org");
      // mbox separators carry whole seconds: compare dates at that precision.
      const secs = (d: Dumped) =>
        `${d.folder} ${d.keywords.join(",")} ${Math.floor(d.receivedAt / 1000)} ${d.hash}`;
      assert.deepEqual(viaMbox.map(secs), original.map(secs));

      // One folder to standard output.
      r = await tern(["export", "ada@example.org", "--folder", "INBOX", "--data-dir", `${dir}/data`]);
      assert.equal(r.code, 0, r.err);
      const text = new TextDecoder().decode(
        r.bytes.reduce((a, b) => new Uint8Array([...a, ...b]), new Uint8Array()),
      );
      // Body lines that look like separators are quoted on export, so only separators start with "From ".
      assert.equal(text.match(/^From /gm)?.length ?? 0, original.filter((d) => d.folder === "INBOX").length);
    });
  },
});
