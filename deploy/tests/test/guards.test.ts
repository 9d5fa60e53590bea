import { describe, expect, it } from "vitest";
import { template } from "./helm.js";

/** Each bad value set must fail the render with a message that names the problem. */
function expectRefused(result: { ok: boolean; stderr: string }, message: RegExp): void {
  expect(result.ok).toBe(false);
  expect(result.stderr).toMatch(message);
}

describe("values that must not reach the cluster", () => {
  it.each([
    ["nats://10.96.12.4:4222"],
    ["nats://nats.nats.svc.cluster.local:4222\\,nats://10.0.0.7:4222"],
    ["nats://[fd00::1]:4222"],
    ["nats://localhost:4222"],
  ])("F32 refuses NATS_URL=%s", (url) => {
    expectRefused(template("market-relay", "default", [`sharedEnv.NATS_URL=${url}`]), /NATS_URL/);
  });

  it("F32 refuses an IP literal in a service's own *_URL variable", () => {
    expectRefused(
      template("trade-engine", "default", ["env.PRICE_FEED_URL=http://192.168.1.20:8080"]),
      /F32: PRICE_FEED_URL/,
    );
  });

  it.each([["latest"], ["placeholder"], ["CHANGEME"], ["<tag>"], [""]])("F35 refuses image tag %j", (tag) => {
    expectRefused(template("trade-engine", "default", [`image.tag=${tag}`]), /image\/tag/);
  });

  it("F35 refuses a values typo at the top level and nested", () => {
    expectRefused(template("trade-engine", "default", ["replica=2"]), /additional properties 'replica'/);
    expectRefused(
      template("trade-engine", "default", ["resources.limit.memory=1Gi"]),
      /additional properties 'limit'/,
    );
    expectRefused(template("trade-engine", "default", ["workload.kind=Deploymnet"]), /workload\/kind/);
  });

  it("F35 refuses a values file without resources requests", () => {
    expectRefused(template("trade-engine", "default", ["resources.requests=null"]), /requests/);
  });

  it("refuses a secret-looking variable or a URL with a password in plain values", () => {
    expectRefused(template("trade-engine", "default", ["env.BINANCE_API_SECRET=abc"]), /looks like a secret/);
    expectRefused(
      template("trade-engine", "default", ["env.AUDIT_DB_URL=postgres://app:hunter2@db.postgres.svc:5432/x"]),
      /password in its URL/,
    );
  });

  it("refuses testnet/live trading without keys from a Secret, and live without confirmation", () => {
    expectRefused(
      template("trade-engine", "default", ["env.TRADING_MODE=testnet", "networkPolicy.egress.binance=true"]),
      /BINANCE_API_KEY and BINANCE_API_SECRET in secretEnv/,
    );
    expectRefused(template("trade-engine", "prod", ["env.TRADING_MODE=live"]), /LIVE_TRADING_CONFIRM/);
    expect(
      template("trade-engine", "prod", ["env.TRADING_MODE=live", "env.LIVE_TRADING_CONFIRM=yes"]).ok,
    ).toBe(true);
  });

  it("refuses terminationGracePeriodSeconds at or below the shutdown deadlines", () => {
    expectRefused(
      template("trade-engine", "default", ["terminationGracePeriodSeconds=35"]),
      /terminationGracePeriodSeconds 35 must exceed/,
    );
  });

  it("market-relay stays single-active: no second replica, no HPA", () => {
    expectRefused(template("market-relay", "default", ["workload.replicas=2"]), /single-active/);
    expectRefused(template("market-relay", "default", ["autoscaling.enabled=true"]), /autoscaling/);
    expectRefused(
      template("market-relay", "default", ["workload.replicaPolicy=scalable"]),
      /single active publisher/,
    );
  });

  it("realtime-strategies refuses an HPA (SHARD_COUNT is fixed by replicas)", () => {
    expectRefused(template("realtime-strategies", "default", ["autoscaling.enabled=true"]), /scalable/);
  });

  it("F36 refuses the kline-extractor Deployment and an incremental CronJob for the same interval", () => {
    expectRefused(
      template("kline-extractor", "default", ["workload.enabled=true", "env.INTERVALS=1m\\,4h"]),
      /F36: interval 1m is extracted both/,
    );
    expectRefused(template("kline-extractor", "prod", ["env.INTERVALS=1m\\,5m"]), /F36: interval 5m/);
    expect(template("kline-extractor", "default", ["workload.enabled=true", "env.INTERVALS=4h"]).ok).toBe(
      true,
    );
  });

  it("F36 refuses an autoscaler without a workload (an orphan HPA)", () => {
    expectRefused(
      template("trade-intent-consumer", "default", ["autoscaling.enabled=true", "workload.enabled=false"]),
      /orphan/,
    );
  });

  it("F37 refuses a dependency the NetworkPolicy would block", () => {
    expectRefused(
      template("trade-intent-consumer", "default", ["networkPolicy.egress.redis=false"]),
      /F37: REDIS_URL/,
    );
    expectRefused(
      template("realtime-strategies", "default", ["networkPolicy.egress.postgres=false"]),
      /F37: DATABASE_URL/,
    );
    expectRefused(
      template("trade-engine", "prod", ["networkPolicy.egress.binance=false"]),
      /F37: TRADING_MODE/,
    );
  });
});
