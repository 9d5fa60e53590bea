export type { BackoffOptions } from "./backoff.js";
export { backoffCeiling, backoffDelay, sleep, TimeoutError, withTimeout } from "./backoff.js";
export { Doorbell } from "./doorbell.js";
export type { RouteHandler, RouteParams } from "./http.js";
export { HttpError, HttpServer, PortInUseError, readJsonBody, sendJson } from "./http.js";
export type { PingWatchOptions } from "./ping-watch.js";
export { PingWatch } from "./ping-watch.js";
export { runService } from "./run-service.js";
export type {
  CommonServiceSettings,
  Dependency,
  ServiceHealth,
  ShutdownStep,
  SupervisorOptions,
} from "./supervisor.js";
export { Supervisor } from "./supervisor.js";
export type { TaskContext, TaskSnapshot, TaskSpec, TaskState } from "./task.js";
