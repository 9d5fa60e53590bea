import type { z } from "zod";

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
  readonly value: string | undefined;
}

/** Every missing or invalid variable at once, before anything connects. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID" as const;
  readonly retryable = false;
  constructor(
    readonly service: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    const lines = problems.map(
      (p) =>
        `  - ${p.variable}: ${p.message} (${p.value === undefined ? "not set" : `got ${JSON.stringify(p.value)}`})`,
    );
    super(`${service}: invalid environment, ${problems.length} problem(s):\n${lines.join("\n")}`);
  }
}

/** Parses `env` with `schema`; throws one ConfigError listing every bad variable. */
export function parseConfig<S extends z.ZodType>(service: string, schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.length ? String(issue.path[0]) : "(environment)";
    return { variable, message: issue.message, value: env[variable] };
  });
  throw new ConfigError(service, problems);
}

/**
 * The entry point's config loader: on failure prints the one error to stderr and exits 2,
 * before any connection is attempted.
 */
export function loadConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Env = process.env,
): z.output<S> {
  try {
    return parseConfig(service, schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
