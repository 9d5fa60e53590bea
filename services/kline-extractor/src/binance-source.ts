import type { Logger } from "@tradewire/logger";
import type { KlineExtractorConfig } from "./config.js";
import { ExtractionError, type KlineSource } from "./source.js";

/** Production source over @tradewire/binance (rate limited, retried, errors mapped). */
export function createBinanceSource(_config: KlineExtractorConfig, _log: Logger): KlineSource {
  return {
    // biome-ignore lint/correctness/useYield: placeholder until @tradewire/binance lands
    async *pages() {
      throw new ExtractionError("UNSUPPORTED", "@tradewire/binance is not available yet", false);
    },
  };
}
