import { z } from "zod";

export const TaskState = z.enum(["starting", "running", "backoff", "stalled", "stopped", "failed"]);
export type TaskState = z.infer<typeof TaskState>;

/** Published by every service on `tradewire.heartbeat.<service>`. */
export const ServiceHeartbeat = z.object({
  service: z.string().min(1),
  instance: z.string().min(1),
  timestamp: z.number().int().nonnegative(),
  status: z.enum(["ok", "degraded", "failed"]),
  tasks: z.array(
    z.object({
      name: z.string().min(1),
      state: TaskState,
      restarts: z.number().int().nonnegative(),
      last_progress_age_ms: z.number().nonnegative(),
      counters: z.record(z.string(), z.number()),
    }),
  ),
});
export type ServiceHeartbeat = z.infer<typeof ServiceHeartbeat>;

/** `control.killswitch`: turns the trade engine's kill switch on or off. */
export const KillSwitchCommand = z.object({
  enabled: z.boolean(),
  reason: z.string().min(1).max(500),
  actor: z.string().max(200).optional(),
});
export type KillSwitchCommand = z.infer<typeof KillSwitchCommand>;
