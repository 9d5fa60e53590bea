import WebSocket, { type RawData } from "ws";
import { decodeFrame } from "./frame.js";

export interface ConnectionHandlers {
  /** One combined-stream frame, already unwrapped; `bytes` is the frame size. */
  onEvent(stream: string, data: unknown, receiveTime: number, bytes: number): void;
  /** A frame that is not JSON or not in the combined-stream wrapper. */
  onMalformed(reason: string, raw: string): void;
  /** Binance announced it will close this connection soon. */
  onServerShutdown(): void;
  /** A socket error after open; the socket is terminated and the close ends the connection. */
  onError(error: Error): void;
}

/**
 * One combined-stream WebSocket (`/stream?streams=a/b/c`), owned with `ws` rather than
 * binance-api-node, whose helpers open one socket per stream and reconnect silently. `ws` answers
 * server pings with pongs by itself. The connection knows when each of its streams last spoke,
 * so the feed can recycle it when one goes silent without a close event (F39).
 */
export class StreamConnection {
  readonly openedAt = Date.now();
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly lastEventAt = new Map<string, number>();

  private constructor(
    private readonly ws: WebSocket,
    readonly streams: readonly string[],
    handlers: ConnectionHandlers,
  ) {
    this.closed = new Promise((resolve) => {
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on("message", (raw: RawData) => this.onFrame(raw, handlers));
    // Errors after open end the connection (the close follows); without a listener they would crash the process.
    ws.on("error", (error) => {
      handlers.onError(error);
      ws.terminate();
    });
  }

  /** Opens the socket, or rejects within `timeoutMs` (a connect never hangs: F04). */
  static open(
    url: string,
    streams: readonly string[],
    timeoutMs: number,
    handlers: ConnectionHandlers,
  ): Promise<StreamConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`connect to ${url} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once("open", () => {
        clearTimeout(timer);
        ws.removeAllListeners("error");
        resolve(new StreamConnection(ws, streams, handlers));
      });
      ws.once("error", (error) => {
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      });
    });
  }

  /** When the stream last delivered an event (the open time if it never did). */
  lastEvent(stream: string): number {
    return this.lastEventAt.get(stream) ?? this.openedAt;
  }

  /** The streams that delivered an event on this connection. */
  deliveredStreams(): IterableIterator<string> {
    return this.lastEventAt.keys();
  }

  /** The most recent event on any stream, or undefined if none arrived yet. */
  latestEvent(): number | undefined {
    let latest: number | undefined;
    for (const t of this.lastEventAt.values()) if (latest === undefined || t > latest) latest = t;
    return latest;
  }

  /** Streams silent for longer than `staleMs`. */
  staleStreams(now: number, staleMs: number): string[] {
    return this.streams.filter((s) => now - this.lastEvent(s) > staleMs);
  }

  isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Closes politely, then forcibly if the peer does not answer within a second. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000, "recycled");
    const timer = setTimeout(() => this.ws.terminate(), 1_000);
    await this.closed;
    clearTimeout(timer);
  }

  private onFrame(raw: RawData, handlers: ConnectionHandlers): void {
    const receiveTime = Date.now();
    const text = raw.toString();
    const frame = decodeFrame(text);
    if (frame.kind === "server_shutdown") handlers.onServerShutdown();
    else if (frame.kind === "malformed") handlers.onMalformed(frame.reason, text);
    else {
      this.lastEventAt.set(frame.stream, receiveTime);
      handlers.onEvent(frame.stream, frame.data, receiveTime, text.length);
    }
  }
}
