// The latency baseline's consumer, run as its own process like the engine: every message of the
// durable consumer is answered with a JetStream "done" publish (acked), then acked itself. The same
// hops as the engine's publish -> decide -> orders.filled -> ack, without the decision or the
// database. Messages are handled concurrently, none waits for another: a floor, not a rival design.
import { Bus } from "@tradewire/bus";
import { createSilentLogger } from "@tradewire/logger";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`bare-relay: ${name} is not set`);
  return value;
};

const bus = await Bus.connect({ servers: env("NATS_URL"), name: "bare-relay", logger: createSilentLogger() });
const consumer = await bus.js.consumers.get(env("RELAY_STREAM"), env("RELAY_DURABLE"));
const messages = await consumer.consume({ max_messages: 100 });
process.once("SIGTERM", () => {
  messages.close().catch((error: unknown) => console.error("bare-relay: close failed", error));
});
const doneSubject = env("RELAY_DONE_SUBJECT");
const inFlight = new Set<Promise<void>>();
console.log(JSON.stringify({ level: "info", message: "relay ready" }));
for await (const m of messages) {
  const relayed: Promise<void> = bus.js
    .publish(doneSubject, m.data, { msgID: `done-${m.seq}` })
    .then(() => m.ackAck())
    .then(
      () => undefined,
      (error: unknown) => {
        console.error("bare-relay: message failed", m.seq, error);
        process.exitCode = 1;
      },
    )
    .finally(() => inFlight.delete(relayed));
  inFlight.add(relayed);
}
await Promise.all(inFlight);
await bus.drain();
