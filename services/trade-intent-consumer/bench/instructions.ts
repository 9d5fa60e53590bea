// Instructions per intent, the service in SAFE_DRAIN vs the bare XREADGROUP+XACK loop, counted by
// valgrind (callgrind). Unlike rates, which swing up to 2x on this VM, the counts do not depend on
// what else the machine does: the bare loop's repeat within 3%, the service's within about 6% (GC
// work depends on what is in flight at each scavenge). Each side is counted at two stream lengths
// and differenced, so start-up and compilation cancel out. About 5 minutes;
// not part of `pnpm bench`. Usage: pnpm --filter @tradewire/trade-intent-consumer bench:instructions
import { spawn, spawnSync } from "node:child_process";
import { redisScope } from "@tradewire/testkit";
import { fillStream } from "./loops.js";

const SMALL = 5_000;
const LARGE = Number(process.env.BENCH_INSTRUCTION_ENTRIES ?? 45_000);
/** As deployed: deploy/values/trade-intent-consumer.yaml sets the same NODE_OPTIONS. */
const NODE_FLAGS = ["--max-semi-space-size=32"];

if (spawnSync("valgrind", ["--version"]).error !== undefined)
  throw new Error("valgrind is not installed: apt-get install valgrind");
const redis = await redisScope("instr");

function callgrind(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "valgrind",
      [
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        "node",
        ...NODE_FLAGS,
        "--import",
        "tsx",
        ...args,
      ],
      { cwd: new URL("..", import.meta.url).pathname, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const collected = /Collected : (\d+)/.exec(stderr)?.[1];
      if (code === 0 && collected !== undefined) resolve(Number(collected));
      else reject(new Error(`valgrind ${args.join(" ")} exited ${code}:\n${stderr.slice(-2000)}`));
    });
  });
}

async function instructions(mode: "bare" | "drain", entries: number): Promise<number> {
  const stream = redis.key(`${mode}-${entries}`);
  await fillStream(redis.redis, stream, entries);
  try {
    return await callgrind(["bench/instructions-worker.ts", mode, stream, String(entries)]);
  } finally {
    await redis.redis.del(stream);
  }
}

async function perEntry(mode: "bare" | "drain"): Promise<number> {
  const small = await instructions(mode, SMALL);
  const large = await instructions(mode, LARGE);
  return (large - small) / (LARGE - SMALL);
}

// Both sides finish (no valgrind left running) before a failure of either is reported.
const counted = await Promise.allSettled([perEntry("bare"), perEntry("drain")]);
await redis.cleanup();
const [bare, drain] = counted.map((c) => {
  if (c.status === "rejected") throw c.reason;
  return c.value;
}) as [number, number];
console.log(
  JSON.stringify({
    name: "trade-intent-consumer (instructions)",
    results: [
      {
        metric: "instructions per intent in SAFE_DRAIN (ratio = bare / drain; target >= 0.7)",
        value: Math.round(drain),
        unit: "instructions",
        baseline: Math.round(bare),
        ratio: Math.round((bare / drain) * 1000) / 1000,
      },
    ],
  }),
);
process.exit(0);
