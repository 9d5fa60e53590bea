import { type ApiError, JetStreamApiError, type PubAck } from "@nats-io/jetstream";
import {
  createInbox,
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { BusError } from "./errors.js";

/** One JetStream publish of a batch: the encoded payload and its Nats-Msg-Id. */
export interface EncodedDurableMessage {
  msgId: string;
  data: Uint8Array;
}

const decoder = new TextDecoder();

/** One batch of publishes: its outcomes, filled in as acks arrive, and the promise resolving with them. */
class PendingBatch {
  readonly results: (PubAck | BusError)[];
  readonly tokens: string[] = [];
  readonly done: Promise<(PubAck | BusError)[]>;
  timer: ReturnType<typeof setTimeout> | undefined;
  private left: number;
  private resolve: (results: (PubAck | BusError)[]) => void = () => {};

  constructor(
    readonly subject: string,
    size: number,
  ) {
    this.results = new Array(size);
    this.left = size;
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (size === 0) this.resolve(this.results);
  }

  settle(index: number, result: PubAck | BusError): void {
    this.results[index] = result;
    this.left -= 1;
    if (this.left > 0) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.resolve(this.results);
  }
}

interface Waiter {
  batch: PendingBatch;
  index: number;
}

/**
 * JetStream publishes with their acks in flight, matched on one wildcard inbox subscription.
 * Each message is a plain HPUB with the reply subject `<inbox>.<token>`, and a batch has one
 * timer. `js.publish()` per message would make a request each (a mux entry, a timer, an options
 * copy, a TextDecoder per ack), which costs more than the message itself at thousands per second.
 * The payloads are not kept while the acks are awaited.
 */
export class AckInbox {
  private sub: Subscription | undefined;
  private prefix = "";
  private nextToken = 0;
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly nc: NatsConnection) {}

  /**
   * Publishes each message (an error given in its place is passed through as its outcome) and
   * resolves once every one has its PubAck or its error, in the order given; never rejects.
   */
  publish(
    subject: string,
    messages: readonly (EncodedDurableMessage | BusError)[],
    timeoutMs: number,
  ): Promise<(PubAck | BusError)[]> {
    const batch = new PendingBatch(subject, messages.length);
    if (messages.length === 0) return batch.done;
    const prefix = this.subscribe();
    for (const [index, message] of messages.entries()) {
      if (message instanceof BusError) {
        batch.settle(index, message);
        continue;
      }
      const token = (this.nextToken++).toString(36);
      const hdrs = headers();
      hdrs.set("Nats-Msg-Id", message.msgId);
      try {
        this.nc.publish(subject, message.data, { headers: hdrs, reply: prefix + token });
      } catch (error) {
        batch.settle(index, publishFailed(subject, error));
        continue;
      }
      batch.tokens.push(token);
      this.waiters.set(token, { batch, index });
    }
    if (batch.tokens.length > 0) batch.timer = setTimeout(() => this.expire(batch), timeoutMs);
    return batch.done;
  }

  /** Fails what is still unanswered in a batch whose time is up. */
  private expire(batch: PendingBatch): void {
    const timeout = new BusError("PUBLISH_FAILED", `JetStream ack for ${batch.subject} timed out`, true);
    for (const token of batch.tokens) {
      const waiter = this.take(token);
      if (waiter !== undefined) batch.settle(waiter.index, timeout);
    }
  }

  /** Subscribes the inbox on first use (again after it closed); returns the reply prefix. */
  private subscribe(): string {
    if (this.sub !== undefined && !this.sub.isClosed()) return this.prefix;
    const inbox = createInbox();
    const prefix = `${inbox}.`;
    const sub = this.nc.subscribe(`${inbox}.*`, {
      callback: (err, msg) => {
        // An error on the inbox (a permissions violation, say) means no ack will come: say so now.
        if (err)
          failWaiting(
            new BusError("PUBLISH_FAILED", `JetStream ack inbox failed: ${err.message}`, true, {
              cause: err,
            }),
          );
        if (msg === undefined) return;
        const waiter = this.take(msg.subject.slice(prefix.length));
        if (waiter !== undefined) waiter.batch.settle(waiter.index, pubAck(waiter.batch.subject, msg));
      },
    });
    this.sub = sub;
    this.prefix = prefix;
    const failWaiting = (error: BusError) => {
      const waiting = [...this.waiters.values()];
      this.waiters.clear();
      for (const { batch, index } of waiting) batch.settle(index, error);
    };
    // Nothing more arrives once the subscription is closed: fail what still waits at once.
    const closed = () => {
      if (this.sub !== sub) return;
      this.sub = undefined;
      failWaiting(new BusError("CLOSED", "NATS subscription closed before the JetStream ack", true));
    };
    sub.closed.then(closed, closed);
    return prefix;
  }

  /** Removes and returns the waiter for a token; undefined once it was answered or timed out. */
  private take(token: string): Waiter | undefined {
    const waiter = this.waiters.get(token);
    if (waiter !== undefined) this.waiters.delete(token);
    return waiter;
  }
}

function publishFailed(subject: string, cause: unknown): BusError {
  return new BusError("PUBLISH_FAILED", `JetStream publish to ${subject} failed`, true, { cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The server's answer: a PubAck, an API error, or an empty status message (503: no stream). */
function pubAck(subject: string, msg: Msg): PubAck | BusError {
  if (msg.data.length === 0) {
    const status = msg.headers?.code ?? 0;
    if (status === 503) return new BusError("NO_STREAM", `no JetStream stream stores ${subject}`, true);
    return new BusError("PUBLISH_FAILED", `JetStream publish to ${subject} got status ${status}`, true);
  }
  let reply: unknown;
  try {
    reply = JSON.parse(decoder.decode(msg.data));
  } catch (error) {
    return publishFailed(subject, error);
  }
  if (!isRecord(reply)) return publishFailed(subject, new Error("ack is not a JSON object"));
  const { error, stream, seq, duplicate, domain } = reply;
  if (isRecord(error)) {
    const apiError: ApiError = {
      code: Number(error.code),
      err_code: Number(error.err_code),
      description: String(error.description),
    };
    return publishFailed(subject, new JetStreamApiError(apiError));
  }
  if (typeof stream !== "string" || stream === "" || typeof seq !== "number")
    return publishFailed(subject, new Error("invalid JetStream ack"));
  return {
    stream,
    seq,
    duplicate: duplicate === true,
    ...(typeof domain === "string" ? { domain } : {}),
  };
}
