import { describe, expect, it } from "vitest";
import { ServiceProcess } from "../src/service-process.js";

describe("ServiceProcess", () => {
  it("refuses HTTP_PORT=0 when the log level hides the line the port is read back from", () => {
    const svc = new ServiceProcess({
      name: "svc",
      entry: "/nonexistent.js",
      env: { HTTP_PORT: "0", LOG_LEVEL: "warn" },
    });
    expect(() => svc.start()).toThrow(/svc: HTTP_PORT=0 .*"http listening".*LOG_LEVEL=warn/);
    expect(svc.running).toBe(false);
  });

  it("says when HTTP_PORT is missing instead of polling a port that is not a number", () => {
    const svc = new ServiceProcess({ name: "svc", entry: "/nonexistent.js", env: {} });
    expect(() => svc.port).toThrow(/svc: HTTP_PORT must be in env/);
  });
});
