import { parseConfig } from "@tradewire/config";
import { captureLogger } from "@tradewire/logger";
import { metricValue, PrivateNatsServer, waitFor } from "@tradewire/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRelay } from "../src/app.js";
import { ConfigSchema } from "../src/config.js";

let server: PrivateNatsServer;
beforeAll(async () => {
  server = await PrivateNatsServer.start();
});
afterAll(async () => {
  await server.dispose();
});

/** A relay on the private server, publishing simulated BTCUSDT data; `metric` reads a depth20 counter. */
async function simulatedRelay() {
  const cap = captureLogger("market-relay");
  const cfg = parseConfig("test", ConfigSchema, {
    NATS_URL: server.url,
    SYMBOLS: "BTCUSDT",
    SIM_SPEED: "20",
    HTTP_PORT: "0",
    SUMMARY_INTERVAL_S: "1",
    // A leader that cannot renew its lease stops publishing (counted as suppressed): one replica.
    LEADER_ELECTION: "false",
  });
  const relay = await startRelay(cfg, cap.logger, { handleSignals: false });
  const metric = async (name: string) =>
    metricValue(await relay.supervisor.metrics.metrics(), name, { stream: "depth20" }) ?? 0;
  return { relay, cap, metric };
}

describe("market-relay across a NATS outage", () => {
  it("F17 counts the market data it could not publish while NATS was down, instead of counting it published, and publishes again after", async () => {
    const { relay, cap, metric } = await simulatedRelay();
    try {
      await waitFor("publishing", async () => (await metric("tradewire_md_messages_total")) > 0, 10_000);
      expect(await metric("tradewire_md_dropped_total")).toBe(0);
      await server.stop();
      await waitFor(
        "dropped while NATS is down",
        async () => (await metric("tradewire_md_dropped_total")) > 20,
        10_000,
      );
      // Nothing counts as published meanwhile.
      const published = await metric("tradewire_md_messages_total");
      await new Promise((r) => setTimeout(r, 300));
      expect(await metric("tradewire_md_messages_total")).toBe(published);
      await waitFor(
        "a summary saying so",
        () => cap.find("market data summary").some((l) => Number(l.droppedNatsDisconnected) > 0),
        5_000,
      );
      await server.restart();
      await waitFor(
        "publishing again",
        async () => (await metric("tradewire_md_messages_total")) > published,
        15_000,
      );
    } finally {
      await relay.stop("test");
    }
  }, 60_000);
  it("F17 a NATS server that hangs with the connection open is noticed within seconds: what could not be published is counted as dropped, and publishing resumes once it answers", async () => {
    const { relay, cap, metric } = await simulatedRelay();
    try {
      await waitFor("publishing", async () => (await metric("tradewire_md_messages_total")) > 0, 10_000);
      server.pause();
      // nats.js alone would take (and lose) every publish for 30-40 s: three pings 10 s apart.
      await waitFor(
        "dropped while the server hangs",
        async () => (await metric("tradewire_md_dropped_total")) > 20,
        10_000,
      );
      expect(
        cap.find(
          "nats server not answering pings: core publishes are refused until it answers (nats.js reconnects once it calls the connection stale)",
        ),
      ).toHaveLength(1);
      const published = await metric("tradewire_md_messages_total");
      server.resume();
      await waitFor(
        "publishing again",
        async () => (await metric("tradewire_md_messages_total")) > published,
        10_000,
      );
      expect(cap.find("nats server answering again")).toHaveLength(1);
    } finally {
      server.resume();
      await relay.stop("test");
    }
  }, 60_000);
});
