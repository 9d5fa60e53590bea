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
  /** Runs in its own process group, as a shell runs a job, for `signalGroup`. */
  detached?: boolean;
}

/**
 * A service run as a real child process with JSON logs captured, for end-to-end tests and
 * crash drills (SIGKILL, restart). `HTTP_PORT` must be in `env` for `ready()`; "0" lets the service
 * pick a free port, read back from its `http listening` line.
 */
export class ServiceProcess {
  readonly lines: ServiceLine[] = [];
  private child: ChildProcess | undefined;
  private buffer = "";
  /** Where this run's lines begin in `lines`. */
  private startedAt = 0;

  constructor(private readonly opts: ServiceProcessOptions) {}

  /**
   * The HTTP port: `HTTP_PORT` as given, or with `HTTP_PORT=0` the one the service logged it
   * listens on (0 until it has). Letting the service pick avoids the race of a port found free
   * here and taken by a parallel test before the service binds it.
   */
  get port(): number {
    const configured = Number(this.opts.env.HTTP_PORT);
    if (Number.isNaN(configured))
      throw new Error(`${this.opts.name}: HTTP_PORT must be in env (a port, or 0)`);
    if (configured !== 0) return configured;
    // Only this run's line: after a restart, the previous run's port may belong to someone else.
    const listening = this.lines.slice(this.startedAt).findLast((l) => l.message === "http listening");
    return typeof listening?.port === "number" ? listening.port : 0;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): this {
    const level = this.opts.env.LOG_LEVEL ?? "info";
    if (this.opts.env.HTTP_PORT === "0" && level !== "info" && level !== "debug")
      throw new Error(
        `${this.opts.name}: HTTP_PORT=0 is read back from the info line "http listening", which LOG_LEVEL=${level} hides`,
      );
    this.startedAt = this.lines.length;
    const args = this.opts.entry.endsWith(".ts") ? ["--import", "tsx", this.opts.entry] : [this.opts.entry];
    const child = spawn(process.execPath, args, {
      cwd: this.opts.cwd,
      env: { PATH: process.env.PATH ?? "", LOG_FORMAT: "json", LOG_LEVEL: "info", ...this.opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: this.opts.detached === true,
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
    if (this.port === 0) return undefined;
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

  /** Sends `signal` to the whole process group (`detached`), as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!this.opts.detached || pid === undefined)
      throw new Error(`${this.opts.name}: signalGroup needs a started process with detached: true`);
    process.kill(-pid, signal);
  }

  /** Closes the read end of the process's stdout, as a pager or `head` that exits does. */
  closeOutput(): void {
    const stdout = this.child?.stdout;
    if (!stdout) throw new Error(`${this.opts.name}: closeOutput needs a started process`);
    stdout.destroy();
  }

  /** What the process wrote to stderr so far. */
  stderr(): string {
    return this.lines
      .filter((l) => l.level === "stderr")
      .map((l) => l.message)
      .join("");
  }

  /** The last lines, for error messages. */
  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => `${l.level} ${l.message}${errorOf(l)}`)
      .join("\n");
  }
}

/** A logged error's message, so a failure read from the tail says why. */
function errorOf(line: ServiceLine): string {
  const err = line.err;
  if (err === undefined) return "";
  const message = err !== null && typeof err === "object" && "message" in err ? err.message : err;
  return `: ${String(message)}`;
}
