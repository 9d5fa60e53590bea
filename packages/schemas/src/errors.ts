import type { z } from "zod";

export interface FieldProblem {
  /** Dotted path of the field, or "(root)". */
  readonly field: string;
  readonly message: string;
  /** The offending value as received (undefined when the field was missing). */
  readonly value: unknown;
}

/** A payload that does not match its schema; names each bad field and its value. */
export class SchemaValidationError extends Error {
  override readonly name = "SchemaValidationError";
  readonly code = "SCHEMA_INVALID" as const;
  readonly retryable = false;
  constructor(
    readonly schemaName: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(`invalid ${schemaName}: ${problems.map(describeProblem).join("; ")}`);
  }
}

function describeProblem(p: FieldProblem): string {
  const shown = p.value === undefined ? "missing" : `got ${preview(p.value)}`;
  return `${p.field}: ${p.message} (${shown})`;
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : safeStringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

export function problemsOf(error: z.ZodError, data: unknown): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: issue.path.length === 0 ? "(root)" : issue.path.map(String).join("."),
    message: issue.message,
    value: valueAt(data, issue.path),
  }));
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: SchemaValidationError };

/** Parses `data` with `schema`; never throws. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  schemaName: string,
  data: unknown,
): ParseResult<z.output<S>> {
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: new SchemaValidationError(schemaName, problemsOf(result.error, data)) };
}

/** Parses `data` with `schema`, throwing a SchemaValidationError that names every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, schemaName: string, data: unknown): z.output<S> {
  const result = parseWith(schema, schemaName, data);
  if (!result.ok) throw result.error;
  return result.value;
}
