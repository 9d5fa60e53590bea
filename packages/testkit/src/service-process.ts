import { type ChildProcess, spawn } from "node:child_process";
import { waitFor } from "./wait.js";

export interface ServiceLine {
  level: string;
  message: string;
  [field: string]: unknown;
}

export interface ServiceProcessOptions {
  /** Label used in errors. */
  name: string;
  /** The entry point (`dist/main.js`, or a `.ts` file run through tsx). */
  entry: string;
  env: Record<string, string>;
  cwd?: string;
  /** Echo the service's lines to this process's stderr (debugging). */
  echo?: boolean;
}

/**
 * A service run as a real child process with JSON logs captured, for end-to-end tests and
 * crash drills (SIGKILL, restart). `HTTP_PORT` must be in `env` for `ready()`.
 */
export class ServiceProcess {
  readonly lines: ServiceLine[] = [];
  private child: ChildProcess | undefined;
  private buffer = "";

  constructor(private readonly opts: ServiceProcessOptions) {}

  get port(): number {
    return Number(this.opts.env.HTTP_PORT);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): this {
    const args = this.opts.entry.endsWith(".ts") ? ["--import", "tsx", this.opts.entry] : [this.opts.entry];
    const child = spawn(process.execPath, args, {
      cwd: this.opts.cwd,
      env: { PATH: process.env.PATH ?? "", LOG_FORMAT: "json", LOG_LEVEL: "info", ...this.opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stdout?.on("data", (chunk: Buffer) => this.onData(chunk));
    child.stderr?.on("data", (chunk: Buffer) => {
      if (this.opts.echo) process.stderr.write(`[${this.opts.name} stderr] ${chunk.toString()}`);
      this.lines.push({ level: "stderr", message: chunk.toString() });
    });
    return this;
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString("utf8");
    const parts = this.buffer.split("\n");
    this.buffer = parts.pop() ?? "";
    for (const part of parts) {
      if (!part.trim()) continue;
      if (this.opts.echo) process.stderr.write(`[${this.opts.name}] ${part}\n`);
      try {
        this.lines.push(JSON.parse(part) as ServiceLine);
      } catch {
        this.lines.push({ level: "raw", message: part });
      }
    }
  }

  /** Lines with this message. */
  find(message: string): ServiceLine[] {
    return this.lines.filter((l) => l.message === message);
  }

  async readyState(): Promise<{ status: number; body: unknown } | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/ready`);
      return { status: res.status, body: (await res.json()) as unknown };
    } catch {
      return undefined;
    }
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      `${this.opts.name} /ready`,
      async () => {
        if (!this.running) throw new Error(`${this.opts.name} exited: ${this.tail()}`);
        return (await this.readyState())?.status === 200;
      },
      timeoutMs,
      100,
    );
  }

  async get<T>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Sends `signal` and waits for the exit; returns the exit code (null when killed by a signal). */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 20_000): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines, for error messages. */
  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => `${l.level} ${l.message}`)
      .join("\n");
  }
}
