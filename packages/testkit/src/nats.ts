import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { uniqueName } from "./ids.js";

export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/**
 * A namespace for one test on the shared NATS server: give it to `Bus.connect({ namespace })`.
 * `cleanup()` deletes every stream (and KV bucket) the test created under it.
 */
export async function natsNamespace(
  prefix = "t",
): Promise<{ namespace: string; url: string; cleanup(): Promise<void> }> {
  const namespace = uniqueName(prefix);
  return {
    namespace,
    url: NATS_URL,
    async cleanup() {
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        for await (const info of jsm.streams.list()) {
          const name = info.config.name;
          if (name.startsWith(`${namespace}_`) || name.startsWith(`KV_${namespace}_`))
            await jsm.streams.delete(name);
        }
      } finally {
        await nc.close();
      }
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A private nats-server with JetStream on a free port, which a test may stop and restart. */
export class PrivateNatsServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  static async start(): Promise<PrivateNatsServer> {
    const server = new PrivateNatsServer(await freePort(), await mkdtemp(join(tmpdir(), "tw-nats-")));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const bin = process.env.NATS_SERVER_BIN ?? "nats-server";
    const child = spawn(bin, ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.storeDir], {
      stdio: "ignore",
    });
    this.child = child;
    const failed = new Promise<never>((_, reject) =>
      child.once("error", (error) =>
        reject(new Error(`cannot start ${bin}: install the nats-server package`, { cause: error })),
      ),
    );
    await Promise.race([waitForPort(this.port, 10_000), failed]);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect: tcp } = await import("node:net");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tcp(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}
