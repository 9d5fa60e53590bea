import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect as tcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
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

/** How to run one kind of server on a port with a data directory of its own. */
export interface ServerSpec {
  /** The binary, and the environment variable that may name another one. */
  bin: string;
  binEnv: string;
  /** What to install when the binary is missing. */
  install: string;
  /** Prefix of its temporary data directory. */
  dirPrefix: string;
  args(port: number, dir: string): string[];
}

/**
 * A server of its own on a free port, with a data directory that outlives `stop()`, so a test may
 * stop and restart it (an outage drill) without losing what it stored. `dispose()` removes it all.
 */
export class PrivateServer {
  private child: ChildProcess | undefined;
  protected constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly spec: ServerSpec,
  ) {}

  /** A free port and a fresh data directory for `spec`. */
  protected static async place(spec: ServerSpec): Promise<{ port: number; dir: string }> {
    return { port: await freePort(), dir: await mkdtemp(join(tmpdir(), spec.dirPrefix)) };
  }

  async restart(): Promise<void> {
    const bin = process.env[this.spec.binEnv] ?? this.spec.bin;
    const child = spawn(bin, this.spec.args(this.port, this.dir), { stdio: "ignore" });
    this.child = child;
    const failed = new Promise<never>((_, reject) =>
      child.once("error", (error) =>
        reject(new Error(`cannot start ${bin}: install ${this.spec.install}`, { cause: error })),
      ),
    );
    try {
      await Promise.race([waitForPort(this.port, 10_000), failed]);
    } catch (error) {
      child.kill("SIGKILL");
      this.child = undefined;
      throw error;
    }
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open and nothing is answered, as with a server
   * that hangs; clients see it only when their pings go unanswered. `resume()` thaws it.
   */
  pause(): void {
    if (this.child?.kill("SIGSTOP") !== true)
      throw new Error(`cannot freeze the server on port ${this.port}`);
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }

  /** Stops the server; its data directory stays for `restart()`. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    // A frozen process takes its SIGTERM only once it runs again.
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    await exited;
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
