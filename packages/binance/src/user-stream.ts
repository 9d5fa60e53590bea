import { createHmac, randomUUID } from "node:crypto";
import type { Logger } from "@tradewire/logger";
import { backoffDelay, sleep, withTimeout } from "@tradewire/supervisor";
import WebSocket, { type RawData } from "ws";
import { z } from "zod";
import { BinanceError, describeBinanceCode } from "./errors.js";
import { parse } from "./response.js";
import type { BinanceRest } from "./rest.js";
import { type OrderUpdate, readUserEvent, UserStreamFrameError } from "./user-stream-events.js";

/** One connection's subscription: where to connect, how to subscribe, where events sit in a frame. */
export interface UserStreamSubscription {
  url: string;
  /** Resolves once the exchange confirms that events for the account flow on `socket`. */
  subscribe(socket: WebSocket): Promise<void>;
  /** The event a frame carries, or undefined for a frame that is not one (a request's answer). */
  eventOf(frame: unknown): unknown;
  /** Called every `keepAliveMs` while connected; a failure ends the connection. */
  keepAlive?(): Promise<void>;
}

/** Prepares each connection of an account's user data stream. */
export interface UserStreamSource {
  readonly market: "spot" | "futures";
  prepare(signal: AbortSignal): Promise<UserStreamSubscription>;
}

/** A user data stream endpoint must be a ws:// or wss:// URL; anything else is refused at once, named. */
function assertWsUrl(url: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "ws:" && protocol !== "wss:")
    throw new Error(`user data stream URL ${JSON.stringify(url)} is not a ws:// or wss:// URL`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";

const WsApiAnswer = z.object({
  id: z.union([z.string(), z.number()]),
  status: z.number(),
  error: z.object({ code: z.number(), msg: z.string() }).optional(),
});

/**
 * Spot: Binance ended listenKeys for spot on 2026-02-20; an account's events are subscribed on the
 * WebSocket API with `userDataStream.subscribe.signature` (HMAC over the sorted params) and arrive
 * there as `{subscriptionId, event}`.
 */
export class SpotUserStream implements UserStreamSource {
  readonly market = "spot" as const;

  constructor(private readonly o: { url: string; apiKey: string; apiSecret: string; recvWindowMs?: number }) {
    assertWsUrl(o.url);
  }

  async prepare(): Promise<UserStreamSubscription> {
    return {
      url: this.o.url,
      subscribe: (socket) => this.subscribe(socket),
      eventOf: (frame) => (isRecord(frame) && "subscriptionId" in frame ? frame.event : undefined),
    };
  }

  private signedParams(timestamp: number) {
    const params = { apiKey: this.o.apiKey, recvWindow: this.o.recvWindowMs ?? 5_000, timestamp };
    return { ...params, signature: signWsApiParams(params, this.o.apiSecret) };
  }

  private subscribe(socket: WebSocket): Promise<void> {
    const method = "userDataStream.subscribe.signature";
    const id = randomUUID();
    return new Promise<void>((resolve, reject) => {
      const onMessage = (data: RawData) => {
        const answer = WsApiAnswer.safeParse(parseJson(data));
        if (!answer.success || answer.data.id !== id) return;
        socket.off("message", onMessage);
        const { status, error } = answer.data;
        if (status === 200) return resolve();
        const code = error?.code;
        const meaning = code === undefined ? undefined : describeBinanceCode(code);
        reject(
          new BinanceError(
            "REJECTED",
            `${method} rejected: ${code ?? status} ${error?.msg ?? ""}${meaning ? ` (${meaning})` : ""}`.trim(),
            status >= 500,
            { path: method, status, binanceCode: code },
          ),
        );
      };
      socket.on("message", onMessage);
      socket.send(JSON.stringify({ id, method, params: this.signedParams(Date.now()) }));
    });
  }
}

/** A WebSocket API request's signature: HMAC-SHA256 (hex) of its params sorted by name, as `k=v&...`. */
export function signWsApiParams(params: Readonly<Record<string, string | number>>, secret: string): string {
  const payload = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
  return createHmac("sha256", secret).update(payload).digest("hex");
}

const ListenKey = z.object({ listenKey: z.string().min(1) });

/**
 * USD-M futures: a listenKey from `POST /fapi/v1/listenKey`, connected on the private route as its
 * User Data Streams page shows it (`wss://fstream.binance.com/private/ws/<listenKey>`, since
 * 2026-04-23), kept alive by a PUT. A query on the configured URL (`?events=...`) is kept.
 */
export class FuturesUserStream implements UserStreamSource {
  readonly market = "futures" as const;

  constructor(private readonly o: { url: string; rest: BinanceRest }) {
    assertWsUrl(o.url);
  }

  async prepare(signal: AbortSignal): Promise<UserStreamSubscription> {
    const { rest } = this.o;
    const body = await rest.keyed<unknown>("POST", "/fapi/v1/listenKey", {}, signal);
    const { listenKey } = parse(ListenKey, "POST /fapi/v1/listenKey", body);
    const url = new URL(this.o.url);
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/${encodeURIComponent(listenKey)}`;
    return {
      url: url.toString(),
      subscribe: async () => {},
      // A stream-mode connection (`/private/stream?...`) wraps each event as {stream, data}.
      eventOf: (frame) => (isRecord(frame) && "stream" in frame && "data" in frame ? frame.data : frame),
      keepAlive: async () => {
        await rest.keyed("PUT", "/fapi/v1/listenKey", {}, signal);
      },
    };
  }
}

function parseJson(data: RawData): unknown {
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}

export interface UserStreamHandlers {
  /** Subscribed: events flow from now on; what happened before must be looked up. */
  onSubscribed(): void;
  onUpdate(update: OrderUpdate): void;
  /** The connection ended (or never came up); the loop reconnects after a backoff. */
  onLost(reason: string, error?: unknown): void;
  /** Any sign of life: a frame or a pong. */
  onAlive(): void;
  /**
   * Called once per subscription with a way to end it (the loop reconnects): for a reader that
   * finds the stream silent about what it knows happened.
   */
  onConnection?(drop: (reason: string) => void): void;
}

export interface RunUserStreamOptions {
  source: UserStreamSource;
  handlers: UserStreamHandlers;
  logger: Logger;
  signal: AbortSignal;
  /** The client pings this often; a ping unanswered by the next one ends the connection. */
  pingIntervalMs?: number;
  /** listenKey keepalive period (Binance: valid 60 minutes, extend every 30). */
  keepAliveMs?: number;
  /** Connect and subscribe within this long. */
  connectTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}

/** A connection that lived this long counts as healthy: the next loss starts the backoff over. */
const HEALTHY_MS = 60_000;

/**
 * Follows an account's user data stream until `signal` aborts: connects, subscribes, reports order
 * updates, and on any loss (close, error, unanswered ping, expired key, failed keepalive) says so
 * and reconnects with capped, jittered backoff.
 */
export async function runUserStream(o: RunUserStreamOptions): Promise<void> {
  const backoff = o.backoff ?? { initialMs: 500, maxMs: 30_000 };
  let attempt = 0;
  while (!o.signal.aborted) {
    const started = Date.now();
    const lost = await connectOnce(o).catch((error: unknown) => ({
      reason: error instanceof Error ? error.message : String(error),
      error,
    }));
    if (o.signal.aborted) return;
    o.handlers.onLost(lost.reason, lost.error);
    attempt = Date.now() - started >= HEALTHY_MS ? 1 : attempt + 1;
    await sleep(backoffDelay(attempt, backoff), o.signal);
  }
}

interface Lost {
  reason: string;
  error?: unknown;
}

async function connectOnce(o: RunUserStreamOptions): Promise<Lost> {
  const { handlers, signal } = o;
  const connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
  const sub = await o.source.prepare(signal);
  const socket = new WebSocket(sub.url, { handshakeTimeout: connectTimeoutMs });
  let lost: Lost | undefined;
  const end = (l: Lost, how: "close" | "terminate") => {
    lost ??= l;
    if (how === "close") socket.close(1000);
    else socket.terminate();
  };
  const closed = new Promise<Lost>((resolve) =>
    socket.once("close", (code, why) =>
      resolve(lost ?? { reason: `closed by the exchange (${code}${why.length ? ` ${why}` : ""})` }),
    ),
  );
  socket.on("error", (error) => {
    lost ??= { reason: error.message, error };
  });
  // Stopping does not wait for the peer's close answer (ws waits up to 30 s for a silent peer).
  const abort = () => end({ reason: "stopping" }, "terminate");
  signal.addEventListener("abort", abort, { once: true });
  const timers: NodeJS.Timeout[] = [];
  try {
    const opened = new Promise<void>((resolve) => socket.once("open", () => resolve()));
    const up = await withTimeout(
      Promise.race([opened.then(() => sub.subscribe(socket)).then(() => true), closed.then(() => false)]),
      connectTimeoutMs,
      `user data stream subscription at ${redactStreamUrl(sub.url)}`,
    ).catch((error: unknown) => {
      end({ reason: error instanceof Error ? error.message : String(error), error }, "terminate");
      return false;
    });
    if (!up) return await closed;
    handlers.onSubscribed();
    handlers.onConnection?.((reason) => end({ reason }, "terminate"));
    socket.on("message", (data) => {
      try {
        handlers.onAlive();
        const json = parseJson(data);
        if (json === undefined)
          throw new UserStreamFrameError(`frame is not JSON: ${String(data).slice(0, 200)}`);
        const event = sub.eventOf(json);
        if (event === undefined) return;
        const frame = readUserEvent(event);
        if (frame.kind === "order") handlers.onUpdate(frame.update);
        else if (frame.kind === "ended") end({ reason: frame.reason }, "close");
      } catch (error) {
        if (error instanceof UserStreamFrameError)
          o.logger.warn("user data event not understood; the order poll covers what it said", { err: error });
        else o.logger.error("handling a user data event failed", { err: error });
      }
    });
    let answered = true;
    socket.on("pong", () => {
      answered = true;
      try {
        handlers.onAlive();
      } catch (error) {
        o.logger.error("handling a user data stream pong failed", { err: error });
      }
    });
    const pingMs = o.pingIntervalMs ?? 20_000;
    timers.push(
      setInterval(() => {
        if (!answered) return end({ reason: `no pong within ${pingMs} ms` }, "terminate");
        answered = false;
        socket.ping();
      }, pingMs),
    );
    const { keepAlive } = sub;
    if (keepAlive !== undefined)
      timers.push(
        setInterval(
          () => {
            keepAlive().catch((error: unknown) =>
              end({ reason: `keepalive failed: ${(error as Error).message}`, error }, "terminate"),
            );
          },
          o.keepAliveMs ?? 30 * 60_000,
        ),
      );
    return await closed;
  } finally {
    for (const t of timers) clearInterval(t);
    signal.removeEventListener("abort", abort);
    // Whatever ended this attempt (a throwing handler included), its socket goes with it.
    if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
  }
}

/** A URL as it may be logged: a listenKey is a credential, in the query or as the last path segment. */
export function redactStreamUrl(url: string): string {
  const u = new URL(url);
  if (u.searchParams.has("listenKey")) u.searchParams.set("listenKey", "***");
  u.pathname = u.pathname.replace(/\/[A-Za-z0-9]{32,}$/, "/***");
  return u.toString();
}
