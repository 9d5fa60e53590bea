// The latency baselines' consumer, run as its own process like the engine: every message of the
// durable consumer is answered with a JetStream "done" publish (acked), then acked itself. The same
// hops as the engine's publish -> decide -> orders.filled -> ack, without the decision. With
// RELAY_DATABASE_URL set, the messages that arrived meanwhile are first stored in one INSERT (a
// durable commit, like the engine's batch statement) before their "done" and ack: the floor with
// the database in it. Messages are never held for one another otherwise: a floor, not a rival design.
import { Bus } from "@tradewire/bus";
import { createSilentLogger } from "@tradewire/logger";
import pg from "pg";

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
type JsMsg = typeof messages extends AsyncIterable<infer M> ? M : never;
const doneSubject = env("RELAY_DONE_SUBJECT");
const db = process.env.RELAY_DATABASE_URL ? new pg.Client(process.env.RELAY_DATABASE_URL) : undefined;
await db?.connect();
await db?.query("CREATE TABLE IF NOT EXISTS bench_relay_log (seq bigint PRIMARY KEY)");

const inFlight = new Set<Promise<void>>();
const failed = (seq: number) => (error: unknown) => {
  console.error("bare-relay: message failed", seq, error);
  process.exitCode = 1;
};
/** Tracks `p` until it settles; every caller handles its failure (`failed`), so it never rejects. */
const own = (p: Promise<void>) => {
  inFlight.add(p);
  void p.then(() => inFlight.delete(p));
};
const relay = (m: JsMsg) =>
  own(
    bus.js
      .publish(doneSubject, m.data, { msgID: `done-${m.seq}` })
      .then(() => m.ackAck())
      .then(() => undefined, failed(m.seq)),
  );

/** The durable variant: one INSERT for whatever arrived while the previous one was committing. */
const pending: JsMsg[] = [];
let storing = false;
async function store(client: pg.Client): Promise<void> {
  storing = true;
  try {
    while (pending.length > 0) {
      const batch = pending.splice(0);
      await client.query({
        name: "relay_store",
        text: "INSERT INTO bench_relay_log (seq) SELECT unnest($1::bigint[])",
        values: [batch.map((m) => m.seq)],
      });
      for (const m of batch) relay(m);
    }
  } finally {
    storing = false;
  }
}

console.log(JSON.stringify({ level: "info", message: "relay ready" }));
for await (const m of messages) {
  if (db === undefined) relay(m);
  else {
    pending.push(m);
    if (!storing) own(store(db).catch(failed(m.seq)));
  }
}
await Promise.all(inFlight);
await db?.end();
await bus.drain();
