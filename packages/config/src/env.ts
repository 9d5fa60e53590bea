import { z } from "zod";

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

/** Field builders for environment variables: strings in, typed values out, with defaults. */
export const env = {
  /** "false"/"0"/"no"/"off" are false (unlike z.coerce.boolean). */
  bool: (fallback: boolean) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === "") return fallback;
        const s = v.trim().toLowerCase();
        if (TRUE.has(s)) return true;
        if (FALSE.has(s)) return false;
        ctx.addIssue({ code: "custom", message: "expected true/false, 1/0, yes/no or on/off" });
        return z.NEVER;
      }),
  int: (fallback: number, opts: { min?: number; max?: number } = {}) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === "") return fallback;
        const n = Number(v);
        const min = opts.min ?? Number.MIN_SAFE_INTEGER;
        const max = opts.max ?? Number.MAX_SAFE_INTEGER;
        if (!Number.isInteger(n) || n < min || n > max) {
          ctx.addIssue({ code: "custom", message: `expected an integer between ${min} and ${max}` });
          return z.NEVER;
        }
        return n;
      }),
  number: (fallback: number, opts: { min?: number; max?: number } = {}) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === "") return fallback;
        const n = Number(v);
        if (!Number.isFinite(n) || n < (opts.min ?? -Infinity) || n > (opts.max ?? Infinity)) {
          ctx.addIssue({
            code: "custom",
            message: `expected a number between ${opts.min ?? "-∞"} and ${opts.max ?? "∞"}`,
          });
          return z.NEVER;
        }
        return n;
      }),
  /** 0 means "pick a free port". */
  port: (fallback: number) => env.int(fallback, { min: 0, max: 65535 }),
  string: (fallback: string) =>
    z
      .string()
      .optional()
      .transform((v) => (v === undefined || v.trim() === "" ? fallback : v.trim())),
  /**
   * A feature's subject or prefix that `off` turns off ("" then); unset or blank is the default, as
   * everywhere else. `check` says what is wrong with a value (named with it at start), or undefined.
   */
  stringOrOff: (fallback: string, check?: (value: string) => string | undefined) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const value = v === undefined || v.trim() === "" ? fallback : v.trim();
        if (value.toLowerCase() === "off") return "";
        const wrong = check?.(value);
        if (wrong === undefined) return value;
        ctx.addIssue({ code: "custom", message: wrong });
        return z.NEVER;
      }),
  /**
   * A JSON value parsed by `schema` (unset or blank: `{}` parsed, so the schema's defaults). A
   * problem names where in the value it is (`orderbook_skew.threshold: unrecognized key`), and the
   * variable is named at start like any other.
   */
  json: <S extends z.ZodType>(schema: S) =>
    z
      .string()
      .optional()
      .transform((v, ctx): z.output<S> => {
        let value: unknown;
        try {
          value = JSON.parse(v === undefined || v.trim() === "" ? "{}" : v);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `not valid JSON: ${(error as Error).message}` });
          return z.NEVER;
        }
        const parsed = schema.safeParse(value);
        if (parsed.success) return parsed.data;
        const where = (path: readonly PropertyKey[]) => (path.length ? `${path.join(".")}: ` : "");
        ctx.addIssue({
          code: "custom",
          message: parsed.error.issues.map((i) => `${where(i.path)}${i.message}`).join("; "),
        });
        return z.NEVER;
      }),
  requiredString: () => z.string({ error: "required" }).trim().min(1, "required"),
  optionalString: () =>
    z
      .string()
      .optional()
      .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim())),
  enum: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === "") return fallback;
        const found = values.find((x) => x === v.trim());
        if (found === undefined) {
          ctx.addIssue({ code: "custom", message: `expected one of ${values.join("|")}` });
          return z.NEVER;
        }
        return found as T[number];
      }),
  /** A comma-separated list; blanks dropped. */
  list: (fallback: readonly string[], opts: { upper?: boolean } = {}) =>
    z
      .string()
      .optional()
      .transform((v) => {
        if (v === undefined || v.trim() === "") return [...fallback];
        const items = v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        return opts.upper ? items.map((s) => s.toUpperCase()) : items;
      }),
  url: (fallback: string, protocols: readonly string[]) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        const value = v === undefined || v.trim() === "" ? fallback : v.trim();
        for (const part of value.split(",")) {
          let parsed: URL;
          try {
            parsed = new URL(part.trim());
          } catch {
            ctx.addIssue({ code: "custom", message: `expected a URL (${protocols.join(", ")})` });
            return z.NEVER;
          }
          if (!protocols.includes(parsed.protocol.replace(/:$/, ""))) {
            ctx.addIssue({ code: "custom", message: `expected a ${protocols.join(" or ")} URL` });
            return z.NEVER;
          }
        }
        return value;
      }),
} as const;

/** Variables every service shares. */
export const commonEnv = {
  LOG_LEVEL: env.enum(["error", "warn", "info", "debug"] as const, "info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  HTTP_PORT: env.port(8080),
  HEARTBEAT_INTERVAL_S: env.int(30, { min: 1, max: 3600 }),
  SHUTDOWN_TIMEOUT_MS: env.int(10_000, { min: 100, max: 120_000 }),
} as const;

export const natsEnv = {
  NATS_URL: env.url("nats://127.0.0.1:4222", ["nats", "tls", "ws", "wss"]),
} as const;

export const redisEnv = {
  REDIS_URL: env.url("redis://127.0.0.1:6379", ["redis", "rediss"]),
} as const;

export const databaseEnv = {
  DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/test", ["postgres", "postgresql"]),
} as const;
