import { createServer, type Server, type Socket, connect as tcp } from "node:net";

/**
 * A loopback TCP proxy to `127.0.0.1:targetPort` that can freeze: while frozen it forwards nothing
 * either way and closes nothing, as a server that hangs or a network partition (a database failover
 * that leaves the old connections open) looks to a client. `thaw()` forwards what waited.
 */
export class TcpProxy {
  private frozen = false;
  /** New connections wait unanswered while the open ones flow (see holdNew). */
  private holding = false;
  private readonly pairs = new Set<[Socket, Socket]>();
  /** Connections made while frozen, each with what opens it once thawed. */
  private readonly waiting = new Map<Socket, () => void>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as { port: number };
    proxy = new TcpProxy(server, port);
    return proxy;
  }

  /** `url` with its port replaced by the proxy's. */
  route(url: string): string {
    const routed = new URL(url);
    routed.hostname = "127.0.0.1";
    routed.port = String(this.port);
    return routed.toString();
  }

  freeze(): void {
    this.frozen = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  /**
   * New connections are accepted and left unanswered while the open ones keep flowing: a server
   * that takes no new clients (a replacement connect that hangs while the old one still works).
   * `thaw()` opens them.
   */
  holdNew(): void {
    this.holding = true;
  }

  thaw(): void {
    this.frozen = false;
    this.holding = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
    for (const open of this.waiting.values()) open();
    this.waiting.clear();
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    for (const client of this.waiting.keys()) client.destroy();
    this.waiting.clear();
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    client.pause();
    client.on("error", () => client.destroy());
    const open = () => {
      const upstream = tcp(targetPort, "127.0.0.1");
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      upstream.on("error", drop);
      client.on("close", drop);
      upstream.on("close", drop);
      // By hand, not pipe(): a pipe resumes its source on drain, which would thaw a frozen pair.
      client.on("data", (chunk) => upstream.write(chunk));
      upstream.on("data", (chunk) => client.write(chunk));
      client.on("end", () => upstream.end());
      upstream.on("end", () => client.end());
      client.resume();
    };
    // A connection made while frozen waits, unanswered, like the ones already open.
    if (this.frozen || this.holding) {
      this.waiting.set(client, open);
      client.once("close", () => this.waiting.delete(client));
    } else open();
  }
}
