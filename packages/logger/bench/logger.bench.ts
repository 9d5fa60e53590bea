// Log lines/s through the bounded output (GuardedOutput) against winston's own Stream transport,
// same format, same discarding stream, alternating in the same run; and through a service's full
// logger (redaction included). Prints one JSON object to stdout.
import { Writable } from "node:stream";
import winston from "winston";
import { createLogger } from "../src/logger.js";
import { GuardedOutput } from "../src/output.js";

const LINES = 100_000;
const RUNS = 7;
const fields = { signalId: "s-1", symbol: "BTCUSDT", price: "64000.10", quantity: "0.001" };
const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const format = winston.format.combine(winston.format.timestamp(), winston.format.json());

function ratePerSecond(log: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LINES; i += 1) log(i);
  return LINES / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const stock: number[] = [];
const guarded: number[] = [];
const full: number[] = [];
for (let r = 0; r <= RUNS; r += 1) {
  const a = winston.createLogger({
    format,
    transports: [new winston.transports.Stream({ stream: discard() })],
  });
  const output = new GuardedOutput({
    stream: discard(),
    maxBufferedBytes: 8 * 1024 * 1024,
    onLost: (error) => {
      throw error;
    },
    onResumed: () => {},
  });
  const b = winston.createLogger({ format, transports: [output] });
  const c = createLogger({ service: "bench", format: "json", stream: discard() });
  const loggers = [a, b, c];
  const rates = [0, 0, 0];
  // A different order each round, so none always runs first (or right after another's garbage).
  for (let k = 0; k < 3; k += 1) {
    const at = (k + r) % 3;
    const logger = loggers[at] as { info(message: string, fields: object): unknown };
    rates[at] = ratePerSecond((i) => logger.info("signal forwarded", { ...fields, i }));
  }
  // The first round warms the JIT.
  if (r === 0) continue;
  stock.push(rates[0] ?? 0);
  guarded.push(rates[1] ?? 0);
  full.push(rates[2] ?? 0);
}
const baseline = median(stock);
process.stdout.write(
  `${JSON.stringify({
    name: "logger",
    results: [
      {
        metric: "JSON log lines/s, bounded output vs winston Stream transport",
        value: Math.round(median(guarded)),
        unit: "lines/s",
        baseline: Math.round(baseline),
        ratio: Number((median(guarded) / baseline).toFixed(3)),
      },
      {
        metric: "JSON log lines/s, service logger (redaction, bounded output) vs winston Stream transport",
        value: Math.round(median(full)),
        unit: "lines/s",
        baseline: Math.round(baseline),
        ratio: Number((median(full) / baseline).toFixed(3)),
      },
    ],
  })}\n`,
);
