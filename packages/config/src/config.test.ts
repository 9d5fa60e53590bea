import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, parseConfig } from "./config.js";
import { commonEnv, env, natsEnv } from "./env.js";

const schema = z.object({
  ...commonEnv,
  ...natsEnv,
  SAFE_DRAIN: env.bool(false),
  MAX_AGE_MINUTES: env.int(5, { min: 1 }),
  SYMBOLS: env.list(["BTCUSDT"], { upper: true }),
  MODE: env.enum(["paper", "live"] as const, "paper"),
});

describe("parseConfig", () => {
  it("applies defaults", () => {
    const cfg = parseConfig("svc", schema, {});
    expect(cfg).toMatchObject({
      HTTP_PORT: 8080,
      SAFE_DRAIN: false,
      MAX_AGE_MINUTES: 5,
      SYMBOLS: ["BTCUSDT"],
      MODE: "paper",
    });
    expect(cfg.NATS_URL).toBe("nats://127.0.0.1:4222");
  });

  it('parses "false" as false and "yes" as true', () => {
    expect(parseConfig("svc", schema, { SAFE_DRAIN: "false" }).SAFE_DRAIN).toBe(false);
    expect(parseConfig("svc", schema, { SAFE_DRAIN: "yes" }).SAFE_DRAIN).toBe(true);
  });

  it("reports every bad variable at once, naming it and its value", () => {
    let caught: unknown;
    try {
      parseConfig("svc", schema, {
        HTTP_PORT: "99999",
        SAFE_DRAIN: "maybe",
        NATS_URL: "http://x",
        MODE: "yolo",
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.problems.map((p) => p.variable).sort()).toEqual([
      "HTTP_PORT",
      "MODE",
      "NATS_URL",
      "SAFE_DRAIN",
    ]);
    expect(err.message).toContain('HTTP_PORT: expected an integer between 0 and 65535 (got "99999")');
    expect(err.message).toContain('MODE: expected one of paper|live (got "yolo")');
  });

  it("turns a feature off with `off` (blank is the default), and names a value its check refuses", () => {
    const feature = z.object({
      PREFIX: env.stringOrOff("a.b", (v) => (v.includes("*") ? "no wildcards" : undefined)),
    });
    expect(parseConfig("svc", feature, {}).PREFIX).toBe("a.b");
    expect(parseConfig("svc", feature, { PREFIX: " " }).PREFIX).toBe("a.b");
    expect(parseConfig("svc", feature, { PREFIX: "OFF" }).PREFIX).toBe("");
    expect(parseConfig("svc", feature, { PREFIX: "c.d" }).PREFIX).toBe("c.d");
    expect(() => parseConfig("svc", feature, { PREFIX: "c.*" })).toThrow('PREFIX: no wildcards (got "c.*")');
  });

  it("splits and upper-cases lists", () => {
    expect(parseConfig("svc", schema, { SYMBOLS: "btcusdt, ethusdt,," }).SYMBOLS).toEqual([
      "BTCUSDT",
      "ETHUSDT",
    ]);
  });
});
