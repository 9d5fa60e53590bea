import { describe, expect, it } from "vitest";
import {
  lint,
  type Manifest,
  type Profile,
  podBearing,
  podSpecOf,
  render,
  SERVICES,
  type Service,
  WORKLOAD_KINDS,
} from "./helm.js";

const PROFILES: readonly Profile[] = ["default", "prod"];
const IP_LITERAL = /(^|[/@,])(\[[0-9a-fA-F:.]+\]|\d{1,3}(\.\d{1,3}){3})(:\d+)?($|[,/])/;
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE_KEY/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]+:[^/@\s]+@/;

const byKind = (ms: readonly Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const configMap = (ms: readonly Manifest[]) => {
  const cm = byKind(ms, "ConfigMap")[0];
  if (cm?.data === undefined) throw new Error("no ConfigMap rendered");
  return cm.data;
};

describe.each(SERVICES.flatMap((s) => PROFILES.map((p) => [s, p] as [Service, Profile])))(
  "%s (%s values)",
  (service, profile) => {
    const manifests = render(service, profile);
    const workloads = manifests.filter((m) => WORKLOAD_KINDS.has(m.kind));
    const pods = podBearing(manifests);
    const env = configMap(manifests);

    it("passes helm lint --strict", () => {
      const result = lint(service, profile);
      expect(result.stderr + result.stdout).toContain("0 chart(s) failed");
      expect(result.ok).toBe(true);
    });

    it("renders at least one pod-bearing workload", () => {
      expect(pods.length).toBeGreaterThan(0);
    });

    it("probes /healthz (startup, liveness) and /ready (readiness) on the named http port = HTTP_PORT", () => {
      for (const w of workloads) {
        const [c] = podSpecOf(w).containers;
        const port = c.ports.find((p: { name: string }) => p.name === "http");
        expect(port.containerPort).toBe(Number(env.HTTP_PORT));
        expect(c.startupProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
        expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
        expect(c.readinessProbe.httpGet).toEqual({ path: "/ready", port: "http" });
      }
    });

    it("sets cpu and memory requests and a memory limit on every container", () => {
      for (const m of pods) {
        for (const c of podSpecOf(m).containers) {
          expect(c.resources.requests.cpu).toBeDefined();
          expect(c.resources.requests.memory).toBeDefined();
          expect(c.resources.limits.memory).toBeDefined();
        }
      }
    });

    it("runs non-root with a read-only root filesystem, no privilege escalation, no capabilities", () => {
      for (const m of pods) {
        const spec = podSpecOf(m);
        expect(spec.securityContext.runAsNonRoot).toBe(true);
        expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
        expect(spec.securityContext.seccompProfile.type).toBe("RuntimeDefault");
        expect(spec.automountServiceAccountToken).toBe(false);
        for (const c of spec.containers) {
          expect(c.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          });
          expect(c.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
        }
        expect(spec.volumes).toContainEqual(
          expect.objectContaining({ name: "tmp", emptyDir: expect.anything() }),
        );
      }
    });

    it("F35 uses a pinned image tag, never latest", () => {
      for (const m of pods) {
        for (const c of podSpecOf(m).containers) {
          expect(c.image).toMatch(/^[^:]+:[A-Za-z0-9_][A-Za-z0-9_.-]*(@sha256:[a-f0-9]{64})?$/);
          expect(c.image).not.toMatch(/:latest(@|$)/);
        }
      }
    });

    it("F32 reaches NATS by its cluster DNS name, never an IP literal", () => {
      expect(env.NATS_URL).toMatch(/^nats:\/\/[a-z][-a-z0-9.]*\.svc\.cluster\.local:4222$/);
      for (const [key, value] of Object.entries(env)) {
        if (key.endsWith("_URL")) expect(value, key).not.toMatch(IP_LITERAL);
      }
    });

    it("keeps secrets out of the ConfigMap: only secretKeyRefs to existing Secrets", () => {
      expect(byKind(manifests, "Secret")).toEqual([]);
      for (const [key, value] of Object.entries(env)) {
        expect(key).not.toMatch(SECRET_NAME);
        expect(value, key).not.toMatch(URL_WITH_PASSWORD);
      }
      for (const m of pods) {
        for (const c of podSpecOf(m).containers) {
          for (const e of c.env ?? []) {
            if (SECRET_NAME.test(e.name) || e.name.endsWith("_URL")) {
              expect(e.value, e.name).toBeUndefined();
              expect(e.valueFrom.secretKeyRef, e.name).toBeDefined();
            }
          }
          expect(c.envFrom).toContainEqual({ configMapRef: { name: `${service}-env` } });
        }
      }
    });

    it("gives terminationGracePeriodSeconds above the shutdown deadlines", () => {
      const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS);
      for (const m of workloads) {
        const spec = podSpecOf(m);
        const preStop = Number(spec.containers[0].lifecycle?.preStop?.exec?.command?.[1] ?? 0);
        // At least the task stop phase and one shutdown step, each up to SHUTDOWN_TIMEOUT_MS.
        expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(2 * shutdownMs + preStop * 1000);
      }
    });

    it("has a Service on the http port, a PodDisruptionBudget and a ServiceMonitor scraping /metrics when enabled", () => {
      for (const w of workloads) {
        const svc = byKind(manifests, "Service").find((s) => s.metadata.name === w.metadata.name);
        expect(svc?.spec.ports[0]).toMatchObject({ name: "http", targetPort: "http" });
        expect(svc?.spec.selector).toEqual(w.spec.selector.matchLabels);
        const pdb = byKind(manifests, "PodDisruptionBudget")[0];
        expect(pdb?.spec.selector.matchLabels).toEqual(w.spec.selector.matchLabels);
        expect(pdb?.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
      }
      for (const sm of byKind(manifests, "ServiceMonitor")) {
        expect(sm.spec.endpoints[0]).toMatchObject({ port: "http", path: "/metrics" });
      }
      if (profile === "prod" && workloads.length > 0)
        expect(byKind(manifests, "ServiceMonitor")).toHaveLength(1);
    });

    it("F37 allows egress only to DNS, the configured dependencies and (when flagged) Binance on 443", () => {
      const [np] = byKind(manifests, "NetworkPolicy");
      expect(np?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
      const egress: { to: Record<string, unknown>[]; ports: { port: number; protocol: string }[] }[] =
        np?.spec.egress ?? [];
      const ports = egress.flatMap((r) => r.ports.map((p) => p.port));
      expect(ports).toContain(53);
      expect(ports).toContain(4222);
      const hasRedis =
        "REDIS_URL" in env ||
        pods.some((m) =>
          podSpecOf(m).containers[0].env?.some((e: { name: string }) => e.name === "REDIS_URL"),
        );
      const hasPg = pods.some((m) =>
        podSpecOf(m).containers[0].env?.some((e: { name: string }) => e.name === "DATABASE_URL"),
      );
      expect(ports.includes(6379)).toBe(hasRedis);
      expect(ports.includes(5432)).toBe(hasPg);
      for (const rule of egress) {
        for (const peer of rule.to) {
          const block = peer.ipBlock as { cidr: string; except: string[] } | undefined;
          if (block === undefined) continue;
          expect(block.cidr).toBe("0.0.0.0/0");
          expect(block.except).toEqual(
            expect.arrayContaining(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]),
          );
          expect(rule.ports.map((p) => p.port)).toContain(443);
        }
      }
      const binance = egress.some((r) => r.to.some((p) => p.ipBlock !== undefined));
      const needsBinance =
        service === "kline-extractor" ||
        service === "market-relay" ||
        (service === "trade-engine" && env.TRADING_MODE !== "paper");
      expect(binance).toBe(needsBinance);
    });

    it("F36 every HPA targets a workload rendered by the same release", () => {
      for (const hpa of byKind(manifests, "HorizontalPodAutoscaler")) {
        const target = hpa.spec.scaleTargetRef;
        expect(workloads.some((w) => w.kind === target.kind && w.metadata.name === target.name)).toBe(true);
      }
    });
  },
);

describe("replica models", () => {
  it("F16 market-relay: one pod by default; in production a leader-elected pair, never an HPA", () => {
    const single = render("market-relay", "default");
    const [d] = byKind(single, "Deployment");
    expect(d?.spec.replicas).toBe(1);
    expect(d?.spec.strategy).toEqual({ type: "Recreate" });
    const prod = render("market-relay", "prod");
    const [p] = byKind(prod, "Deployment");
    expect(p?.spec.replicas).toBe(2);
    // The lease holder name is the pod name, so the two replicas never share one.
    expect(JSON.stringify(p)).toContain(
      '"name":"RELAY_ID","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}',
    );
    expect(JSON.stringify(p)).not.toContain('"LEADER_ELECTION":"false"');
    for (const ms of [single, prod]) {
      expect(byKind(ms, "HorizontalPodAutoscaler")).toEqual([]);
      expect(byKind(ms, "StatefulSet")).toEqual([]);
    }
  });

  it("trade-engine runs one replica replaced with Recreate", () => {
    for (const profile of PROFILES) {
      const [d] = byKind(render("trade-engine", profile), "Deployment");
      expect(d?.spec.replicas).toBe(1);
      expect(d?.spec.strategy).toEqual({ type: "Recreate" });
    }
  });

  it("realtime-strategies shards symbols by StatefulSet ordinal with SHARD_COUNT = replicas", () => {
    const ms = render("realtime-strategies", "prod");
    const [sts] = byKind(ms, "StatefulSet");
    const env = podSpecOf(sts as Manifest).containers[0].env as {
      name: string;
      value?: string;
      valueFrom?: { fieldRef: { fieldPath: string } };
    }[];
    expect(env.find((e) => e.name === "SHARD_COUNT")?.value).toBe(String(sts?.spec.replicas));
    expect(env.find((e) => e.name === "SHARD_INDEX")?.valueFrom?.fieldRef.fieldPath).toBe(
      "metadata.labels['apps.kubernetes.io/pod-index']",
    );
    expect(byKind(ms, "HorizontalPodAutoscaler")).toEqual([]);
    expect(sts?.spec.serviceName).toBe("realtime-strategies-headless");
  });

  it("trade-intent-consumer names its Redis consumer after the stable StatefulSet pod name and autoscales in prod", () => {
    const ms = render("trade-intent-consumer", "prod");
    const [sts] = byKind(ms, "StatefulSet");
    const env = podSpecOf(sts as Manifest).containers[0].env as {
      name: string;
      valueFrom?: { fieldRef?: { fieldPath: string } };
    }[];
    expect(env.find((e) => e.name === "TRADE_INTENT_CONSUMER")?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.name",
    );
    const [hpa] = byKind(ms, "HorizontalPodAutoscaler");
    expect(hpa?.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      name: "trade-intent-consumer",
    });
    expect(sts?.spec.replicas).toBeUndefined();
  });

  it("trade-intent-consumer runs with the larger young generation its benchmark was measured with", () => {
    for (const profile of PROFILES)
      expect(configMap(render("trade-intent-consumer", profile)).NODE_OPTIONS, profile).toBe(
        "--max-semi-space-size=32",
      );
  });
});

describe("kline-extractor CronJobs", () => {
  for (const profile of PROFILES) {
    it(`F36 ${profile}: CronJobs forbid concurrency, have deadlines and a backoff limit, run the CLI`, () => {
      const jobs = byKind(render("kline-extractor", profile), "CronJob");
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) {
        expect(job.spec.concurrencyPolicy).toBe("Forbid");
        expect(job.spec.startingDeadlineSeconds).toBeGreaterThan(0);
        expect(job.spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(0);
        expect(job.spec.jobTemplate.spec.backoffLimit).toBeGreaterThanOrEqual(0);
        const spec = podSpecOf(job);
        expect(spec.restartPolicy).toBe("Never");
        expect(spec.containers[0].args.slice(0, 3)).toEqual([
          "node",
          "dist/cli.js",
          job.metadata.labels?.["tradewire.io/extraction-mode"],
        ]);
        expect(job.spec.jobTemplate.spec.template.metadata.labels["app.kubernetes.io/component"]).toBe("job");
      }
      expect(jobs.some((j) => j.metadata.name.includes("gap-fill"))).toBe(true);
    });

    it(`F36 ${profile}: never a Deployment and an incremental CronJob for the same interval`, () => {
      const ms = render("kline-extractor", profile);
      const incremental = byKind(ms, "CronJob")
        .filter((j) => j.metadata.labels?.["tradewire.io/extraction-mode"] === "incremental")
        .map(
          (j) => podSpecOf(j).containers[0].args[podSpecOf(j).containers[0].args.indexOf("--interval") + 1],
        );
      expect(new Set(incremental).size).toBe(incremental.length);
      if (byKind(ms, "Deployment").length > 0) {
        const daemon = (configMap(ms).INTERVALS ?? "1m").split(",").map((s) => s.trim());
        for (const interval of daemon) expect(incremental).not.toContain(interval);
      }
    });
  }
});
