import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deployDir } from "./helm.js";

// hadolint is not installable here (no apt candidate, no Docker engine); these are its rules that
// matter for Tradewire plus the image design rules, checked on the Dockerfile text.
const dockerfile = readFileSync(join(deployDir, "docker/Dockerfile"), "utf8");
const dockerignore = readFileSync(join(deployDir, "docker/Dockerfile.dockerignore"), "utf8");
const readme = readFileSync(join(deployDir, "README.md"), "utf8");

/** Instructions with continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));
const stages = instructions.reduce<string[][]>((acc, line) => {
  if (/^FROM\s/i.test(line)) acc.push([line]);
  else acc.at(-1)?.push(line);
  return acc;
}, []);
const runtime = stages.at(-1) ?? [];

describe("deploy/docker/Dockerfile", () => {
  it("takes the service as ARG SERVICE and refuses to build without it", () => {
    expect(dockerfile).toMatch(/^ARG SERVICE$/m);
    expect(dockerfile).toMatch(/test -n "\$SERVICE"/);
  });

  it("prunes the workspace with turbo prune --docker for the one service", () => {
    expect(dockerfile).toMatch(/turbo@\d+\.\d+\.\d+ prune "@tradewire\/\$\{SERVICE\}" --docker/);
  });

  it("installs with the frozen lockfile before copying sources (layer cache)", () => {
    const install = instructions.findIndex((l) => /pnpm install --frozen-lockfile/.test(l));
    const sources = instructions.findIndex((l) => l.includes("/app/out/full/"));
    expect(install).toBeGreaterThan(-1);
    expect(install).toBeLessThan(sources);
  });

  it("builds the service and its workspace dependencies, then pnpm deploy --prod", () => {
    expect(dockerfile).toMatch(/turbo run build --filter="@tradewire\/\$\{SERVICE\}\.\.\."/);
    expect(dockerfile).toMatch(/pnpm deploy --filter "@tradewire\/\$\{SERVICE\}" --prod --legacy \/out/);
  });

  it("pins the Node LTS base image by exact version (never latest) and pins pnpm", () => {
    const base = dockerfile.match(/^ARG NODE_IMAGE=(\S+)$/m)?.[1];
    expect(base).toMatch(/^node:(20|22|24)\.\d+\.\d+-[a-z]+(-slim)?(@sha256:[a-f0-9]{64})?$/);
    for (const from of instructions.filter((l) => /^FROM\s/i.test(l))) {
      expect(from).not.toMatch(/:latest\b/);
      expect(from).toMatch(/^FROM (\$\{NODE_IMAGE\}|base) AS [a-z]+$/);
    }
    expect(dockerfile).toMatch(/corepack prepare pnpm@\d+\.\d+\.\d+ --activate/);
  });

  it("F34 hardcodes no platform in FROM; the build command sets --platform linux/amd64", () => {
    expect(dockerfile).not.toMatch(/^FROM\s+--platform/m);
    expect(dockerfile).toMatch(/--platform linux\/amd64/);
    expect(readme).toMatch(
      /docker buildx build --platform linux\/amd64[^\n]*\\?\n?[^\n]*-f deploy\/docker\/Dockerfile/,
    );
  });

  it("runs as a numeric non-root user in the final stage", () => {
    const user = runtime.filter((l) => /^USER\s/.test(l)).at(-1);
    expect(user).toMatch(/^USER [1-9]\d{3,}(:[1-9]\d{3,})?$/);
  });

  it("uses tini as PID 1 and exec-form CMD node dist/main.js", () => {
    expect(runtime).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(runtime.at(-1)).toBe('CMD ["node", "dist/main.js"]');
    expect(runtime.some((l) => /apt-get install -y --no-install-recommends tini/.test(l))).toBe(true);
  });

  it("keeps the runtime stage free of sources, pnpm and apt lists", () => {
    const copies = runtime.filter((l) => /^COPY\s/.test(l));
    expect(copies).toEqual(["COPY --from=build /out/ /app/"]);
    expect(runtime.join("\n")).toMatch(/rm -rf \/var\/lib\/apt\/lists\/\*/);
    expect(runtime.join("\n")).not.toMatch(/corepack|pnpm/);
  });

  it("follows hadolint basics: WORKDIR absolute, no sudo, no ADD, no apt-get upgrade", () => {
    for (const l of instructions) {
      if (l.startsWith("WORKDIR")) expect(l).toMatch(/^WORKDIR \//);
      expect(l).not.toMatch(/\bsudo\b|^ADD\s|apt-get (dist-)?upgrade/);
      if (/apt-get install/.test(l)) expect(l).toMatch(/apt-get update/);
    }
  });

  it("ships a dockerignore that keeps node_modules, dist, .git and env files out of the context", () => {
    for (const entry of ["**/node_modules", "**/dist", ".git", "**/.env"]) {
      expect(dockerignore.split("\n")).toContain(entry);
    }
  });
});
