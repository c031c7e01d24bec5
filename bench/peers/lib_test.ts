import assert from "node:assert/strict";
import {
  BusyMachine,
  checkIdle,
  diskBytes,
  idleBeforeRounds,
  idlePercent,
  idleSummary,
  median,
} from "./lib.ts";
import { parseOnly, scaled } from "./options.ts";

const stat = (user: number, idle: number, iowait: number) =>
  `cpu  ${user} 0 0 ${idle} ${iowait} 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n`;

Deno.test("idle CPU counts idle and iowait ticks over the total between two /proc/stat readings", () => {
  assert.equal(idlePercent(stat(100, 100, 0), stat(150, 140, 10)), 50);
  assert.equal(idlePercent(stat(100, 100, 0), stat(100, 200, 0)), 100);
  assert.equal(idlePercent(stat(100, 100, 0), stat(100, 100, 0)), 100);
});

Deno.test("the busy gate refuses a round below the idle threshold and only warns with --force", async () => {
  const busy = () => Promise.resolve(40);
  await assert.rejects(checkIdle({ minIdle: 80, force: false }, "x", busy), BusyMachine);
  assert.equal(await checkIdle({ minIdle: 80, force: true }, "x", busy), 40);
  assert.equal(await checkIdle({ minIdle: 30, force: false }, "x", busy), 40);
});

Deno.test("median of odd and even counts, NaN for none", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("--only keeps the harness's order and rejects an unknown workload", () => {
  assert.deepEqual(parseOnly("disk,mixed"), ["mixed", "disk"]);
  assert.equal(parseOnly(undefined).length, 7);
  assert.throws(() => parseOnly("mixed,bogus"), /bogus/);
  assert.equal(scaled(5000, 0.05, 50), 250);
  assert.equal(scaled(5000, 0.001, 50), 50);
});

Deno.test("disk use counts the blocks allocated under a directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const empty = await diskBytes(dir);
    await Deno.writeFile(`${dir}/f`, new Uint8Array(100_000).fill(1));
    const full = await diskBytes(dir);
    assert.ok(full - empty >= 100_000, `${full} - ${empty}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the report states the idle CPU before the rounds and how many were below the threshold", () => {
  idleBeforeRounds.splice(0, idleBeforeRounds.length, 95, 40, 85, 10);
  const line = idleSummary(80);
  assert.match(line, /4 rounds: min 10%, median 62.5%, max 95%; 2 below the 80% threshold/);
  assert.match(line, /not meaningful/);
  idleBeforeRounds.splice(0, idleBeforeRounds.length, 95);
  assert.doesNotMatch(idleSummary(80), /not meaningful/);
  idleBeforeRounds.length = 0;
});
