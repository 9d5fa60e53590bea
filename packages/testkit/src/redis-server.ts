import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./nats.js";

/**
 * A private redis-server on a free port with an append-only file, so a test may stop and restart
 * it (an outage drill) without losing streams and groups.
 */
export class PrivateRedisServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(await freePort(), await mkdtemp(join(tmpdir(), "tw-redis-")));
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const bin = process.env.REDIS_SERVER_BIN ?? "redis-server";
    const child = spawn(
      bin,
      [
        "--bind",
        "127.0.0.1",
        "--port",
        String(this.port),
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        this.dir,
      ],
      {
        stdio: "ignore",
      },
    );
    this.child = child;
    const failed = new Promise<never>((_, reject) =>
      child.once("error", (error) =>
        reject(new Error(`cannot start ${bin}: install redis-server`, { cause: error })),
      ),
    );
    await Promise.race([waitForPort(this.port, 10_000), failed]);
  }

  /** Stops the server; the append-only file keeps its data for `restart()`. */
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
    await rm(this.dir, { recursive: true, force: true });
  }
}
