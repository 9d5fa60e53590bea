/** A core NATS message: at most once, nothing to acknowledge. Deliberately has no ack(). */
export interface CoreMessage<T> {
  readonly kind: "core";
  /** Canonical subject (namespace removed). */
  readonly subject: string;
  readonly data: T;
  readonly size: number;
  readonly receivedAt: number;
}

/** A JetStream message: must be settled exactly once with ack, nak or term. */
export interface DurableMessage<T> {
  readonly kind: "durable";
  readonly subject: string;
  readonly data: T;
  readonly streamSequence: number;
  readonly deliveryCount: number;
  /** When the stream stored it (epoch ms): the time a message without its own timestamp was sent. */
  readonly publishedAtMs: number;
  /** The publisher's Nats-Msg-Id, when set. */
  readonly msgId: string | undefined;
  /** Acknowledges and waits for the server to confirm. */
  ack(): Promise<void>;
  /** Asks for redelivery after `delayMs` (transient failure). */
  nak(delayMs: number): void;
  /** Never redeliver; also writes a dead-letter record with the reason. */
  term(reason: string): Promise<void>;
  /** Extends the ack deadline while slow work is in progress. */
  working(): void;
}

/** The part of a supervisor task context the bus needs (structurally a TaskContext). */
export interface LoopContext {
  readonly signal: AbortSignal;
  progress(): void;
  count(counter: string, n?: number): void;
  /** Reports a value without counting as progress (a consumer's pending messages). */
  gauge?(name: string, value: number): void;
}

/** A record written to `deadletter.<stream>` for every message that cannot be processed. */
export interface DeadLetterRecord {
  stream: string;
  consumer: string;
  subject: string;
  streamSequence: number;
  deliveryCount: number;
  reason: string;
  payload: string;
  timestamp: number;
}
