export type { CapturedLine, CapturingLogger } from "./capture.js";
export { captureLogger } from "./capture.js";
export type { LogFields, LogFormat, Logger, LoggerOptions, LogLevel } from "./logger.js";
export { createLogger, createSilentLogger } from "./logger.js";
export { droppedLogLines } from "./output.js";
export { REDACTED, redactText, redactValue } from "./redact.js";
