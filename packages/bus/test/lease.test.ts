import { captureLogger } from "@tradewire/logger";
import { natsNamespace, TcpProxy, waitFor } from "@tradewire/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Bus } from "../src/bus.js";
import { LeaderLease } from "../src/lease.js";
import { silent } from "./helpers.js";

let ns: Awaited<ReturnType<typeof natsNamespace>>;
let bus: Bus;
beforeEach(async () => {
  ns = await natsNamespace("lease");
  bus = await Bus.connect({ servers: ns.url, name: "lease-test", logger: silent, namespace: ns.namespace });
});
afterEach(async () => {
  await bus.drain();
  await ns.cleanup();
});

const lease = (holder: string, ttlMs = 1_500) =>
  LeaderLease.open(bus, { bucket: "leases", key: "binance.spot.feed", holder, ttlMs, logger: silent });

describe("LeaderLease in NATS KV", () => {
  it("F16 lets exactly one replica lead; the other only takes over when the leader releases", async () => {
    const a = await lease("relay-a");
    const b = await lease("relay-b");
    expect(await a.tick()).toBe(true);
    expect(await b.tick()).toBe(false);
    expect(await a.tick()).toBe(true); // renewal keeps it
    expect(await b.tick()).toBe(false);
    await a.release();
    expect(a.isLeader).toBe(false);
    expect(await b.tick()).toBe(true);
    expect(await a.tick()).toBe(false);
  });

  it("F16 a leader that dies (stops renewing) is replaced once its entry expires", async () => {
    const a = await lease("relay-a", 1_000);
    const b = await lease("relay-b", 1_000);
    expect(await a.tick()).toBe(true);
    const diedAt = Date.now();
    // a is never ticked again: it crashed without releasing.
    await waitFor("standby takes over", () => b.tick(), 10_000, 200);
    expect(Date.now() - diedAt).toBeGreaterThanOrEqual(900);
    expect(Date.now() - diedAt).toBeLessThan(5_000);
    // The old leader, coming back, learns it lost the lease instead of publishing alongside.
    expect(await a.tick()).toBe(false);
    expect(a.isLeader).toBe(false);
  });

  it("F16 a bucket deleted on the server is declared again: a replica leads again instead of every one standing by for good", async () => {
    const cap = captureLogger("bus");
    const a = await LeaderLease.open(bus, {
      bucket: "leases",
      key: "binance.spot.feed",
      holder: "relay-a",
      ttlMs: 1_500,
      logger: cap.logger,
    });
    expect(await a.tick()).toBe(true);
    await bus.jsm.streams.delete(`KV_${bus.ns.resource("leases")}`);
    // Its lease went with the bucket: it stands by at once (a rival may already hold a new one),
    // then declares the bucket again and leads.
    expect(await a.tick()).toBe(false);
    expect(cap.find("lease lost: this replica stands by")).toEqual([
      expect.objectContaining({ level: "warn", reason: "lease bucket not answering (deleted?)" }),
    ]);
    await waitFor("leading again", () => a.tick(), 12_000, 200);
    expect(cap.find("lease acquire failed").length).toBeGreaterThanOrEqual(1);
    expect(await bus.jsm.streams.info(`KV_${bus.ns.resource("leases")}`)).toBeDefined();
  }, 20_000);

  it("F16 a leader whose renewal hangs (its route to the bucket half-dead) stands by at half the TTL, before its entry can expire, not when the request times out", async () => {
    const proxy = await TcpProxy.start(Number(new URL(ns.url).port));
    const hung = await Bus.connect({
      servers: proxy.route(ns.url),
      name: "lease-hung",
      logger: silent,
      namespace: ns.namespace,
    });
    const cap = captureLogger("relay");
    const changes: boolean[] = [];
    try {
      const a = await LeaderLease.open(hung, {
        bucket: "leases",
        key: "binance.spot.feed",
        holder: "relay-a",
        ttlMs: 1_500,
        logger: cap.logger,
        onChange: (leader) => changes.push(leader),
      });
      expect(await a.tick()).toBe(true);
      const renewedAt = Date.now();
      proxy.freeze();
      // Unanswered until nats.js gives up on it, seconds after the entry expired.
      const renewal = a.tick();
      await waitFor("stood by", () => !a.isLeader, 3_000);
      expect(Date.now() - renewedAt).toBeLessThan(1_500);
      expect(changes).toEqual([true, false]);
      expect(cap.find("lease lost: this replica stands by")[0]).toMatchObject({
        level: "warn",
        reason: "not renewed within half the TTL (a renewal still waiting)",
      });
      proxy.thaw();
      await renewal;
    } finally {
      proxy.thaw();
      await hung.drain();
      await proxy.close();
    }
  });

  it("reports every change of role to its listener", async () => {
    const changes: boolean[] = [];
    const a = await LeaderLease.open(bus, {
      bucket: "leases",
      key: "k",
      holder: "a",
      ttlMs: 1_500,
      logger: silent,
      onChange: (leader) => changes.push(leader),
    });
    await a.tick();
    await a.tick();
    await a.release();
    expect(changes).toEqual([true, false]);
  });
});
