import { DiscardPolicy, type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { uniqueName } from "./ids.js";
import { PrivateServer, type ServerSpec } from "./private-server.js";

export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/**
 * A namespace for one test on the shared NATS server: give it to `Bus.connect({ namespace })`.
 * `cleanup()` deletes every stream (and KV bucket) the test created under it.
 */
export async function natsNamespace(
  prefix = "t",
  /** Another server than the shared one (a PrivateNatsServer's). */
  url = NATS_URL,
): Promise<{ namespace: string; url: string; cleanup(): Promise<void> }> {
  const namespace = uniqueName(prefix);
  return {
    namespace,
    url,
    async cleanup() {
      const nc = await connect({ servers: url });
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

/**
 * Sets a stream at a byte limit no message fits, discarding new ones: JetStream refuses every
 * publish to it (`maximum bytes exceeded`), as a stream out of storage does; what it holds stays.
 * The function returned lifts the limit again.
 */
export async function fillStream(jsm: JetStreamManager, name: string): Promise<() => Promise<void>> {
  const { config, state } = await jsm.streams.info(name);
  // At what it holds (a lower limit would purge it): nothing more fits.
  await jsm.streams.update(name, {
    ...config,
    max_bytes: Math.max(1, state.bytes),
    discard: DiscardPolicy.New,
  });
  return async () => {
    await jsm.streams.update(name, config);
  };
}

const NATS_SERVER: ServerSpec = {
  bin: "nats-server",
  binEnv: "NATS_SERVER_BIN",
  install: "the nats-server package",
  dirPrefix: "tw-nats-",
  args: (port, dir) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
};

/** A private nats-server with JetStream on a free port, which a test may stop and restart. */
export class PrivateNatsServer extends PrivateServer {
  static async start(): Promise<PrivateNatsServer> {
    const { port, dir } = await PrivateServer.place(NATS_SERVER);
    const server = new PrivateNatsServer(port, dir, NATS_SERVER);
    try {
      await server.restart();
    } catch (error) {
      // Nobody else holds it yet: its data directory goes with the failure.
      await server.dispose();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
}
