/**
 * RENAME of a shared mailbox against Dovecot 2.3.19 (RFC 4314 §4: "x" on the mailbox and "k" on
 * the new parent, within the owner's namespace), with the shared namespace of
 * acl_shared_diff_test.ts. The owner shares Team/Old (lrx) under Team, first without "k" on Team,
 * then with it, then without "x" on it. Compared: the tagged status with its response code
 * (normalised, tests/interop/_dovecot.ts; CREATE's MAILBOXID aside) and the owner's LIST after
 * each step.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dovecotMissing, type ImapPeer, normaliseResponse } from "./_dovecot.ts";
import { startDovecot, startTern } from "./_dovecot.ts";

const DOVECOT_CONFIG = `mail_plugins = $mail_plugins acl
protocol imap {
  mail_plugins = $mail_plugins acl imap_acl
}
namespace shared {
  type = shared
  separator = /
  prefix = Other Users/%%u/
  location = maildir:%%h/Maildir:INDEXPVT=~/Maildir/shared/%%u
  subscriptions = no
  list = children
}
plugin {
  acl = vfile
  acl_shared_dict = file:%h/../shared-mailboxes.db
}
`;

const S = "Other Users/u@localhost";
const STEPS: { who: "owner" | "grantee"; cmd: string }[] = [
  { who: "owner", cmd: "CREATE Team" },
  { who: "owner", cmd: "CREATE Team/Old" },
  { who: "owner", cmd: "SETACL Team v@localhost l" },
  { who: "owner", cmd: "SETACL Team/Old v@localhost lrx" },
  { who: "grantee", cmd: `RENAME "${S}/Team/Old" "${S}/Team/New"` },
  { who: "owner", cmd: 'LIST "" "Team*"' },
  { who: "owner", cmd: "SETACL Team v@localhost lk" },
  { who: "grantee", cmd: `RENAME "${S}/Team/Old" "${S}/Team/New"` },
  { who: "owner", cmd: 'LIST "" "Team*"' },
  { who: "owner", cmd: "SETACL Team/New v@localhost lr" },
  { who: "grantee", cmd: `RENAME "${S}/Team/New" "${S}/Team/Again"` },
  { who: "owner", cmd: 'LIST "" "Team*"' },
];

async function run(peer: ImapPeer): Promise<string[]> {
  const owner = await peer.login();
  const grantee = await peer.login({ address: "v@localhost", password: "pw" });
  const log: string[] = [];
  try {
    for (const step of STEPS) {
      const rs = await (step.who === "owner" ? owner : grantee).cmd(step.cmd);
      const lists = rs.slice(0, -1).filter((r) => r.text.startsWith("* LIST")).map((r) =>
        normaliseResponse(r)
      )
        .sort();
      // Dovecot 2.3 has no OBJECTID (RFC 8474): CREATE's MAILBOXID code is left out.
      const status = normaliseResponse(rs.at(-1)!).replace(/ \[MAILBOXID \(\w+\)\]$/, "");
      log.push(`${step.who}: ${step.cmd}`, ...lists.map((l) => "  " + l), "  " + status);
    }
  } finally {
    owner.close();
    grantee.close();
  }
  return log;
}

Deno.test({
  name: "ACL: RENAME of a shared mailbox by a grantee (x on it, k on the new parent) matches Dovecot's",
  ignore: dovecotMissing !== null,
  async fn() {
    const dovecot = await startDovecot(undefined, DOVECOT_CONFIG);
    const tern = await startTern();
    try {
      const d = await run(dovecot);
      const t = await run(tern);
      if (Deno.env.get("SHOW")) console.log(d.join("\n") + "\n-----\n" + t.join("\n"));
      assert.deepEqual(t, d);
    } finally {
      await dovecot.stop();
      await tern.stop();
    }
  },
});
