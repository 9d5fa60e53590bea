export type { BusOptions, CoreSubscribeOptions } from "./bus.js";
export { Bus } from "./bus.js";
export type { BusErrorCode } from "./errors.js";
export { BusError } from "./errors.js";
export type { DurableConsumerOptions } from "./jetstream.js";
export type { CoreMessage, DeadLetterRecord, DurableMessage, LoopContext } from "./messages.js";
export { Namespace } from "./namespace.js";
export type { StreamDefinition } from "./streams.js";
export { STREAMS } from "./streams.js";
