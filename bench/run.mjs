// `pnpm bench`: runs every workspace package's `bench` script, collects the JSON object each prints
// ({ name, results: [{ metric, value, unit, baseline, ratio }] }), and writes a Markdown table and
// a JSON file with the machine's facts to bench/results/. Usage: pnpm bench [package-name ...]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const only = process.argv.slice(2);

function workspacePackages() {
  const dirs = [];
  for (const group of ["packages", "services"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const file = join(base, name, "package.json");
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, "utf8"));
      if (pkg.scripts?.bench) dirs.push({ dir: join(base, name), name: pkg.name });
    }
  }
  return dirs.filter((p) => only.length === 0 || only.some((o) => p.name.endsWith(o)));
}

function version(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .split("\n")[0];
  } catch {
    return "unavailable";
  }
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    natsServer: version("nats-server", ["--version"]),
    redis: version("redis-server", ["--version"]),
    postgres: version("psql", ["--version"]),
    date: new Date().toISOString(),
  };
}

function lastJsonObject(text) {
  const lines = text.trim().split("\n").reverse();
  for (const line of lines) {
    if (!line.trim().startsWith("{")) continue;
    try {
      return JSON.parse(line);
    } catch {}
  }
  return undefined;
}

/** Suites beyond the packages': the end-to-end pipeline, run from the repository root. */
const extraSuites = [
  { name: "pipeline", dir: root, command: [process.execPath, "--import", "tsx", "e2e/pipeline.bench.ts"] },
].filter((s) => only.length === 0 || only.includes(s.name));

// Benchmarks run the packages' dist (the engine's as its own process): a stale build would measure
// old code. turbo rebuilds only what changed.
console.error("[bench] building (pnpm build)");
const build = spawnSync("pnpm", ["build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
if (build.status !== 0) {
  console.error(`[bench] pnpm build failed (exit ${build.status}); nothing was measured`);
  process.exit(1);
}

const suites = [];
for (const pkg of [
  ...workspacePackages().map((p) => ({ ...p, command: ["pnpm", "run", "--silent", "bench"] })),
  ...extraSuites,
]) {
  console.error(`[bench] ${pkg.name}`);
  const started = Date.now();
  const [cmd, ...args] = pkg.command;
  const run = spawnSync(cmd, args, {
    cwd: pkg.dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 300_000,
  });
  const parsed = lastJsonObject(run.stdout ?? "");
  if (run.status !== 0 || !parsed) {
    console.error(`[bench] ${pkg.name} failed (exit ${run.status}); no results`);
    suites.push({ name: pkg.name, error: `exit ${run.status}`, results: [] });
    continue;
  }
  suites.push({ ...parsed, seconds: Math.round((Date.now() - started) / 1000) });
}

const facts = machine();
const fmt = (n) =>
  typeof n === "number"
    ? Math.abs(n) >= 100
      ? Math.round(n).toLocaleString("en-US")
      : n.toPrecision(3)
    : "";
const rows = suites.flatMap((s) =>
  s.results.length === 0
    ? [`| ${s.name} | failed: ${s.error} | | | | |`]
    : s.results.map(
        (r) =>
          `| ${s.name} | ${r.metric} | ${fmt(r.value)} | ${r.unit ?? ""} | ${fmt(r.baseline)} | ${fmt(r.ratio)} |`,
      ),
);
const markdown = [
  `Machine: ${facts.cpu}, ${facts.cores} cores, ${facts.memoryGiB} GiB, Node ${facts.node}, ${facts.natsServer}, ${facts.redis.split(" sha")[0]}, ${facts.postgres}; ${facts.date}`,
  "",
  "| suite | metric | value | unit | baseline (same run) | ratio |",
  "|---|---|---|---|---|---|",
  ...rows,
  "",
].join("\n");
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(
  join(root, "bench/results/latest.json"),
  `${JSON.stringify({ machine: facts, suites }, null, 2)}\n`,
);
writeFileSync(join(root, "bench/results/latest.md"), markdown);
// A full run (no filter) also refreshes the table in the README, between its markers.
const readmePath = join(root, "README.md");
const readme = readFileSync(readmePath, "utf8");
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";
if (only.length === 0 && readme.includes(START) && readme.includes(END)) {
  const section = `${START}\nProduced by \`pnpm bench\` (all suites, about ${Math.round(suites.reduce((n, s) => n + (s.seconds ?? 0), 0) / 60)} minutes):\n\n${markdown}${END}`;
  writeFileSync(
    readmePath,
    readme.slice(0, readme.indexOf(START)) + section + readme.slice(readme.indexOf(END) + END.length),
  );
}
console.log(markdown);
