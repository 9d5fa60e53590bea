import { setTimeout as delay } from "node:timers/promises";
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Logger } from "@tradewire/logger";
import { parseWith, subjects } from "@tradewire/schemas";
import type { z } from "zod";
import { onAbort } from "./abort.js";
import type { Bus } from "./bus.js";
import { decodeJson } from "./bus.js";
import { BusError } from "./errors.js";
import type { DeadLetterRecord, DurableMessage, LoopContext } from "./messages.js";
import type { Namespace } from "./namespace.js";
import type { StreamDefinition } from "./streams.js";

const MS = 1_000_000; // nanoseconds per millisecond

/** The server has no such stream (deleted, or lost with its state). */
export function isStreamNotFound(error: unknown): boolean {
  return isApiError(error, JetStreamApiCodes.StreamNotFound);
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

export async function ensureStream(
  jsm: JetStreamManager,
  ns: Namespace,
  def: StreamDefinition,
  log: Logger,
): Promise<void> {
  const name = ns.resource(def.name);
  const config = {
    name,
    subjects: def.subjects.map((s) => ns.subject(s)),
    duplicate_window: def.duplicateWindowMs * MS,
    max_age: def.maxAgeMs * MS,
  };
  try {
    const info = await jsm.streams.info(name);
    const same =
      info.config.subjects?.join(",") === config.subjects.join(",") &&
      info.config.duplicate_window === config.duplicate_window &&
      info.config.max_age === config.max_age;
    if (same) return;
    await jsm.streams.update(name, config);
    log.info("jetstream stream updated", { stream: name, subjects: config.subjects });
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) {
      throw new BusError("STREAM_CONFLICT", `cannot declare stream ${name}`, false, { cause: error });
    }
    await jsm.streams.add(config);
    log.info("jetstream stream created", { stream: name, subjects: config.subjects });
  }
}

/**
 * Creates or updates a durable pull consumer. Without `filterSubject` it receives every subject of
 * the stream (how the signals consumer covers both `signals.trading` and `signals.trading.>`;
 * NATS 2.9 has no multi-subject filters).
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  ns: Namespace,
  stream: StreamDefinition,
  durable: string,
  filterSubject: string | undefined,
  ackWaitMs: number,
  log: Logger,
): Promise<void> {
  const streamName = ns.resource(stream.name);
  const name = ns.resource(durable);
  const filter = filterSubject === undefined ? undefined : ns.subject(filterSubject);
  const config = {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ackWaitMs * MS,
    max_deliver: -1,
    ...(filter === undefined ? {} : { filter_subject: filter }),
  };
  try {
    const info = await jsm.consumers.info(streamName, name);
    if ((info.config.filter_subject || undefined) === filter && info.config.ack_wait === config.ack_wait)
      return;
    await jsm.consumers.update(streamName, name, { filter_subject: filter ?? "", ack_wait: config.ack_wait });
    log.info("jetstream consumer updated", { stream: streamName, durable: name, filter });
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    await jsm.consumers.add(streamName, config);
    log.info("jetstream consumer created", { stream: streamName, durable: name, filter });
  }
}

interface DurableConsumerBase<S extends z.ZodType> {
  stream: StreamDefinition;
  durable: string;
  /** The consumer's subject filter (see ensureConsumer): it is declared, or created again, at each bind. */
  filterSubject?: string;
  /** How long a delivered message may go unsettled before it is delivered again (default 30,000 ms). */
  ackWaitMs?: number;
  schema: S;
  schemaName: string;
  maxMessages?: number;
  retryDelayMs?: number;
  /** How often the consumer's pending counts are asked for and reported (default 5,000 ms). */
  statusIntervalMs?: number;
  /**
   * How often the server shows an idle consumer alive (default 5,000 ms, at least 500): each beat is
   * progress while no batch is being handled, so a stall deadline must be well above it.
   */
  idleHeartbeatMs?: number;
}

export interface DurableConsumerOptions<S extends z.ZodType> extends DurableConsumerBase<S> {
  /** Must settle the message (ack, nak or term). A throw naks it with `retryDelayMs`. */
  handler: (message: DurableMessage<z.output<S>>) => Promise<void>;
}

export interface DurableBatchConsumerOptions<S extends z.ZodType> extends DurableConsumerBase<S> {
  /**
   * Receives what has already arrived, oldest first: never waits to fill a batch, so a lone
   * message is handled at once. Must settle every message; a throw naks the whole batch. While it
   * runs, only `alive` counts as the task's progress (call it as each message is done): a handler
   * that hangs stalls the task (F05), however alive the connection is.
   */
  batchHandler: (messages: DurableMessage<z.output<S>>[], alive: () => void) => Promise<void>;
  /** Largest batch handed over at once (default `maxMessages`). */
  maxBatch?: number;
}

const TICK = Symbol("tick");
const macrotask = () => new Promise<typeof TICK>((resolve) => setImmediate(() => resolve(TICK)));

export function runDurableConsumer<S extends z.ZodType>(
  bus: Bus,
  opts: DurableConsumerOptions<S>,
  ctx: LoopContext,
  log: Logger,
): Promise<void> {
  const { handler, ...base } = opts;
  return runDurableBatchConsumer(
    bus,
    { ...base, maxBatch: 1, batchHandler: ([message]) => (message ? handler(message) : Promise.resolve()) },
    ctx,
    log,
  );
}

/**
 * Runs a durable pull consumer until `ctx.signal` aborts, handing its messages over in batches of
 * whatever is already buffered. Invalid payloads are dead-lettered; a failed batch is nak'ed.
 */
export async function runDurableBatchConsumer<S extends z.ZodType>(
  bus: Bus,
  opts: DurableBatchConsumerOptions<S>,
  ctx: LoopContext,
  log: Logger,
): Promise<void> {
  const streamName = bus.ns.resource(opts.stream.name);
  const durable = bus.ns.resource(opts.durable);
  // Declared at each bind, not once at start: a consumer, or its whole stream, deleted on the server
  // (by hand, or lost with the server's state) is created again by the restart its deletion causes
  // (see below), even while nobody publishes (a publish declares its stream too: Bus.declareAgain).
  await ensureStream(bus.jsm, bus.ns, opts.stream, log);
  await ensureConsumer(
    bus.jsm,
    bus.ns,
    opts.stream,
    opts.durable,
    opts.filterSubject,
    opts.ackWaitMs ?? 30_000,
    log,
  );
  const consumer = await bus.js.consumers.get(streamName, durable);
  const maxMessages = opts.maxMessages ?? 100;
  const maxBatch = opts.maxBatch ?? maxMessages;
  const heartbeatMs = Math.max(500, opts.idleHeartbeatMs ?? 5_000);
  const messages = await consumer.consume({
    max_messages: maxMessages,
    idle_heartbeat: heartbeatMs,
    expires: Math.max(1_000, 2 * heartbeatMs),
  });
  /** Why the server no longer serves the consumer, once it said so. */
  let gone: string | undefined;
  /** The batch being handled, if any: the connection's beats then prove nothing about the work. */
  let busy: { since: number; seqs: number[] } | undefined;
  // Binding awaits the server: a stop asked for meanwhile closes the consumer as soon as it exists.
  const forgetAbort = onAbort(ctx.signal, () => {
    if (busy !== undefined)
      log.warn("consumer stopped while its handler is still busy: those messages settle when it returns", {
        stream: streamName,
        durable,
        seqs: busy.seqs,
        busyMs: Date.now() - busy.since,
        why: String(ctx.signal.reason),
      });
    messages.close().catch((error: unknown) => log.warn("closing consumer failed", { durable, err: error }));
  });
  const statusLoop = (async () => {
    for await (const s of messages.status()) {
      if (s.type === "consumer_deleted" || s.type === "consumer_not_found") {
        // nats.js keeps pulling from a consumer that is gone, and its statuses looked like life:
        // nothing was delivered again, without an error. Ended here, so the task binds it again.
        log.warn("jetstream consumer gone from the server: ending this binding to create it again", {
          stream: streamName,
          durable,
          status: s.type,
        });
        gone = s.type;
        await messages
          .close()
          .catch((error: unknown) => log.warn("closing consumer failed", { durable, err: error }));
        return;
      }
      if (s.type === "heartbeats_missed")
        log.warn("jetstream consumer status", { stream: streamName, durable, status: s.type });
      if (busy === undefined) ctx.progress();
    }
  })();
  const statusPoll = reportStatus(consumer, opts.statusIntervalMs ?? 5_000, ctx, log, {
    streamName,
    durable,
  });
  log.info("jetstream consumer bound", { stream: streamName, durable, maxBatch });
  const iterator = messages[Symbol.asyncIterator]();
  // The next message is asked for before the current batch is handled. Its failure is marked
  // handled here so it cannot crash the process while it waits; it still throws where awaited.
  const ask = () => {
    const p = iterator.next();
    p.catch(() => undefined);
    return p;
  };
  try {
    let next = ask();
    for (let first = await next; !first.done; first = await next) {
      const batch: JsMsg[] = [first.value];
      next = ask();
      // What is already buffered arrives within microtasks; the macrotask tick means nothing is.
      // (The iterator's getPending() over-counts after its internal pull callbacks, so it cannot
      // tell.) A `next` still waiting when the tick wins becomes the next batch's first message.
      let tick: Promise<typeof TICK> | undefined;
      while (batch.length < maxBatch) {
        tick ??= macrotask();
        const more = await Promise.race([next, tick]);
        if (more === TICK || more.done) break;
        batch.push(more.value);
        next = ask();
      }
      ctx.progress();
      const valid: DurableMessage<z.output<S>>[] = [];
      for (const m of batch) {
        const message = toDurableMessage(bus, m, opts, streamName, durable, ctx, log);
        if (message !== undefined) valid.push(message);
      }
      if (valid.length === 0) continue;
      busy = { since: Date.now(), seqs: valid.map((m) => m.streamSequence) };
      try {
        await opts.batchHandler(valid, () => ctx.progress());
        ctx.count("processed", valid.length);
      } catch (error) {
        ctx.count("failed", valid.length);
        log.error("durable handler failed; messages will be redelivered", {
          subject: valid[0]?.subject,
          seqs: busy.seqs,
          err: error,
        });
        for (const m of valid) m.nak(opts.retryDelayMs ?? 1_000);
      } finally {
        busy = undefined;
      }
    }
  } finally {
    forgetAbort();
    statusPoll.stop.abort();
    await statusPoll.done;
    await statusLoop.catch((error: unknown) => log.warn("consumer status loop ended", { err: error }));
  }
  if (!ctx.signal.aborted)
    throw new BusError(
      "CLOSED",
      gone === undefined
        ? `consumer ${durable} on ${streamName} stopped delivering`
        : `consumer ${durable} on ${streamName} is gone from the server (${gone}): created again at the restart`,
      true,
    );
}

/**
 * Asks the server every `intervalMs` how many messages wait for the consumer (`pending`: not yet
 * delivered; `ackPending`: delivered, not yet acked) and reports them with `connected` (1 while the
 * answer comes, 0 when it does not) as gauges, for the heartbeat and /metrics. A failed ask is said
 * at warn once, until one succeeds again. Ends when `stop` aborts or the task's signal does.
 */
function reportStatus(
  consumer: { info(cached?: boolean): Promise<{ num_pending: number; num_ack_pending: number }> },
  intervalMs: number,
  ctx: LoopContext,
  log: Logger,
  where: { streamName: string; durable: string },
): { stop: AbortController; done: Promise<void> } {
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, ctx.signal]);
  const done = (async () => {
    let failing = false;
    while (!signal.aborted) {
      try {
        const info = await consumer.info(false);
        ctx.gauge?.("pending", info.num_pending);
        ctx.gauge?.("ackPending", info.num_ack_pending);
        ctx.gauge?.("connected", 1);
        failing = false;
      } catch (error) {
        ctx.gauge?.("connected", 0);
        if (!failing)
          log.warn("jetstream consumer status unavailable", {
            stream: where.streamName,
            durable: where.durable,
            err: error,
          });
        failing = true;
      }
      // An abort ends the wait early (rejecting it): the loop condition then ends the poll.
      await delay(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  })();
  return { stop, done };
}

function toDurableMessage<S extends z.ZodType>(
  bus: Bus,
  m: JsMsg,
  opts: DurableConsumerBase<S>,
  stream: string,
  consumer: string,
  ctx: LoopContext,
  log: Logger,
): DurableMessage<z.output<S>> | undefined {
  const deadLetter = async (reason: string) => {
    const record: DeadLetterRecord = {
      stream,
      consumer,
      subject: bus.ns.unprefix(m.subject),
      streamSequence: m.seq,
      deliveryCount: m.info.deliveryCount,
      reason,
      payload: new TextDecoder().decode(m.data),
      timestamp: Date.now(),
    };
    await bus.publishDurableEncoded(
      subjects.deadLetter(opts.stream.name),
      Buffer.from(JSON.stringify(record)),
      {
        msgId: `${stream}:${m.seq}`,
      },
    );
    ctx.count("deadLettered");
    m.term(reason);
  };
  const decoded = decodeJson(m.data);
  const parsed = decoded.ok ? parseWith(opts.schema, opts.schemaName, decoded.value) : decoded;
  if (!parsed.ok) {
    ctx.count("invalid");
    log.warn("invalid durable message dead-lettered", {
      subject: m.subject,
      seq: m.seq,
      reason: parsed.error.message,
    });
    deadLetter(parsed.error.message).catch((error: unknown) => {
      // Left unacked: it is redelivered and dead-lettered again.
      m.nak(5_000);
      ctx.count("failed");
      log.error("dead-letter publish failed", { subject: m.subject, seq: m.seq, err: error });
    });
    return undefined;
  }
  return {
    kind: "durable",
    subject: bus.ns.unprefix(m.subject),
    data: parsed.value,
    streamSequence: m.seq,
    deliveryCount: m.info.deliveryCount,
    publishedAtMs: Number(m.timestampNanos / 1_000_000n),
    msgId: m.headers?.get("Nats-Msg-Id") || undefined,
    ack: async () => {
      await m.ackAck();
    },
    nak: (delayMs) => m.nak(delayMs),
    term: deadLetter,
    working: () => m.working(),
  };
}
