import { PrivateServer, type ServerSpec } from "./private-server.js";

const REDIS_SERVER: ServerSpec = {
  bin: "redis-server",
  binEnv: "REDIS_SERVER_BIN",
  install: "redis-server",
  dirPrefix: "tw-redis-",
  // Append-only, synced at every write: a stop and restart loses no stream or group.
  args: (port, dir) => [
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--dir",
    dir,
  ],
};

/**
 * A private redis-server on a free port with an append-only file, so a test may stop and restart
 * it (an outage drill) without losing streams and groups.
 */
export class PrivateRedisServer extends PrivateServer {
  static async start(): Promise<PrivateRedisServer> {
    const { port, dir } = await PrivateServer.place(REDIS_SERVER);
    const server = new PrivateRedisServer(port, dir, REDIS_SERVER);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}
