/**
 * Cyrus IMAP 3.6 (Debian's `cyrus-common`, `cyrus-imapd`, `cyrus-caldav`) for the JMAP comparison,
 * run from the extracted packages: Debian's `cyrus-imapd` conflicts with `dovecot-imapd` (both
 * provide `imap-server`), so the .debs are fetched with `apt-get download`, unpacked with
 * `dpkg-deb -x` into a cache directory, and only their shared-library dependencies are installed
 * with apt. The server runs on loopback with its own configuration in a temporary directory:
 * `master` as the `cyrus` system user (created when missing, as the packages would), `imapd` to
 * load messages and `httpd` with `httpmodules: jmap`, SASL `alwaystrue` (any password; loopback
 * bench only). Linux, root.
 *
 * @module
 */

/** Where the unpacked packages are kept between runs. */
export const CYRUS_CACHE = "/var/tmp/tern-bench-cyrus";
const PACKAGES = ["cyrus-common", "cyrus-imapd", "cyrus-caldav"];
const LIBDIR = "usr/lib/x86_64-linux-gnu";
const BINDIR = "usr/lib/cyrus/bin";

async function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped", ...opts })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${text.slice(-2000)}`);
  return text;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure the unpacked Cyrus is in `CYRUS_CACHE/root` and its libraries are installed; returns
 * the root. Downloads with `apt-get download` (runs `apt-get update` once if that fails).
 */
export async function prepareCyrus(log: (line: string) => void = console.error): Promise<string> {
  const root = `${CYRUS_CACHE}/root`;
  if (await exists(`${root}/${BINDIR}/httpd`)) {
    await installLibraries(log);
    return root;
  }
  await Deno.mkdir(CYRUS_CACHE, { recursive: true });
  log(`downloading ${PACKAGES.join(", ")} into ${CYRUS_CACHE}`);
  try {
    await run("apt-get", ["download", ...PACKAGES], { cwd: CYRUS_CACHE });
  } catch {
    await run("apt-get", ["update"]);
    await run("apt-get", ["download", ...PACKAGES], { cwd: CYRUS_CACHE });
  }
  await installLibraries(log);
  await Deno.mkdir(root, { recursive: true });
  for await (const e of Deno.readDir(CYRUS_CACHE)) {
    if (e.name.endsWith(".deb")) await run("dpkg-deb", ["-x", `${CYRUS_CACHE}/${e.name}`, root]);
  }
  return root;
}

/** Installs the `lib*` packages the .debs depend on (nothing that conflicts with Dovecot). */
async function installLibraries(log: (line: string) => void): Promise<void> {
  const libs = new Set<string>();
  for await (const e of Deno.readDir(CYRUS_CACHE)) {
    if (!e.name.endsWith(".deb")) continue;
    const depends = await run("dpkg-deb", ["-f", `${CYRUS_CACHE}/${e.name}`, "Depends"]);
    for (const alt of depends.split(",")) {
      const name = alt.split("|")[0]!.replace(/\(.*?\)/g, "").trim();
      if (name.startsWith("lib")) libs.add(name);
    }
  }
  const missing: string[] = [];
  for (const lib of libs) {
    const status = await new Deno.Command("dpkg-query", { args: ["-W", "-f=${Status}", lib], stderr: "null" })
      .output();
    if (!new TextDecoder().decode(status.stdout).includes("install ok installed")) missing.push(lib);
  }
  if (missing.length === 0) return;
  log(`installing ${missing.join(" ")}`);
  await run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], {
    env: { DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** A running Cyrus. */
export interface CyrusServer {
  imapPort: number;
  httpPort: number;
  /** PID of `master` (its children are the serving processes). */
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts Cyrus `master` from `root` on two free loopback ports; resolves once both listen. */
export async function startCyrus(root: string): Promise<CyrusServer> {
  await run("sh", [
    "-c",
    "id cyrus >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin -g mail cyrus",
  ]);
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-cyrus-" });
  const [imapPort, httpPort] = [freePort(), freePort()];
  const bin = `${root}/${BINDIR}`;
  const conf = `${dir}/imapd.conf`;
  for (const d of ["conf", "conf/socket", "spool"]) await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  await Deno.writeTextFile(
    conf,
    [
      `configdirectory: ${dir}/conf`,
      `partition-default: ${dir}/spool`,
      "admins: cyrus",
      // Loopback bench only: any password is accepted, so authentication costs nothing.
      "sasl_pwcheck_method: alwaystrue",
      "sasl_mech_list: PLAIN",
      "allowplaintext: yes",
      "httpmodules: jmap",
      // JMAP in Cyrus needs the conversations database.
      "conversations: yes",
      "conversations_db: twoskip",
      "httpallowcompress: no",
      "unixhierarchysep: yes",
      "virtdomains: off",
      `idlesocket: ${dir}/conf/socket/idle`,
      `lmtpsocket: ${dir}/conf/socket/lmtp`,
      `notifysocket: ${dir}/conf/socket/notify`,
      "syslog_prefix: tern-bench-cyrus",
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(
    `${dir}/cyrus.conf`,
    [
      "START {",
      `  recover cmd="${bin}/ctl_cyrusdb -C ${conf} -r"`,
      "}",
      "SERVICES {",
      `  imap cmd="${bin}/imapd -C ${conf}" listen="127.0.0.1:${imapPort}" prefork=0`,
      `  http cmd="${bin}/httpd -C ${conf}" listen="127.0.0.1:${httpPort}" prefork=1`,
      "}",
      "",
    ].join("\n"),
  );
  await run("chown", ["-R", "cyrus:mail", dir]);
  const child = new Deno.Command(`${bin}/master`, {
    args: ["-C", conf, "-M", `${dir}/cyrus.conf`, "-p", `${dir}/master.pid`],
    env: { LD_LIBRARY_PATH: `${root}/${LIBDIR}` },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  // Wait (bounded) until both services accept connections.
  for (let i = 0;; i++) {
    try {
      for (const port of [imapPort, httpPort]) (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (error) {
      if (i >= 100) {
        await stop();
        throw new Error(`Cyrus did not start listening: ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { imapPort, httpPort, pid: child.pid, dir, stop };
}
