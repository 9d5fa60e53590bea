import { normalizeStreamEvent } from "@tradewire/binance";
import type { Logger } from "@tradewire/logger";
import type { MarketData } from "@tradewire/schemas";
import { z } from "zod";

/** The envelope many existing socket clients publish: a raw Binance event under `data`. */
export const SocketEnvelope = z.object({
  stream: z.string().min(1),
  data: z.unknown(),
  timestamp: z.string().optional(),
  message_id: z.string().optional(),
  source: z.string().optional(),
  version: z.string().optional(),
});
export type SocketEnvelope = z.infer<typeof SocketEnvelope>;

/** Normalizes an envelope's raw event; events that cannot be read are counted and logged (at most once a second). */
export class EnvelopeReader {
  rejected = 0;
  private lastLog = 0;

  constructor(private readonly log: Logger) {}

  read(envelope: SocketEnvelope, receivedAt: number): MarketData | undefined {
    const result = normalizeStreamEvent(envelope.stream, envelope.data, receivedAt);
    if (result.ok) return result.value;
    this.rejected += 1;
    if (receivedAt - this.lastLog >= 1000) {
      this.lastLog = receivedAt;
      this.log.warn("envelope event not readable; dropped and counted", {
        stream: envelope.stream,
        reason: result.reason,
        rejectedTotal: this.rejected,
      });
    }
    return undefined;
  }
}
