#!/usr/bin/env node
import { createBinanceSource } from "./binance-source.js";
import { processEnv } from "./config.js";
import { runCli } from "./run-cli.js";

const abort = new AbortController();
process.once("SIGINT", () => abort.abort(new Error("interrupted")));
process.once("SIGTERM", () => abort.abort(new Error("terminated")));
const result = await runCli(process.argv.slice(2), {
  env: processEnv(),
  stdout: process.stdout,
  stderr: process.stderr,
  makeSource: createBinanceSource,
  signal: abort.signal,
});
process.exitCode = result.exitCode;
