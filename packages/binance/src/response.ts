import { z } from "zod";
import { isPlainDecimal } from "./decimal.js";
import { BinanceError } from "./errors.js";
import type { BinanceRest, HttpMethod, QueryParams } from "./rest.js";

/** Binance ids arrive as numbers (ccxt recordings turned some into strings): kept as strings. */
export const Id = z.union([z.number(), z.string()]).transform(String);

/** An amount as Binance writes it ("0.00100000", "-12.5"): a number that sizes orders is checked as one. */
export const Amount = z.string().refine(isPlainDecimal, "expected a decimal number");

/** Parses a response body, or throws INVALID_RESPONSE naming the path and the fields that did not fit. */
export function parse<S extends z.ZodType>(schema: S, path: string, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  throw new BinanceError("INVALID_RESPONSE", `${path}: unexpected response: ${detail}`, false, { path });
}

/** True when the exchange rejected the call with one of these Binance codes. */
export function hasBinanceCode(error: unknown, ...codes: number[]): error is BinanceError {
  return (
    error instanceof BinanceError &&
    error.details.binanceCode !== undefined &&
    codes.includes(error.details.binanceCode)
  );
}

/**
 * A signed call whose "no such order" answers (the `absent` codes) mean undefined, not an error:
 * lookups and cancels of orders that may be gone.
 */
export async function signedOrAbsent<S extends z.ZodType>(
  rest: BinanceRest,
  method: HttpMethod,
  path: string,
  params: QueryParams,
  schema: S,
  absent: readonly number[],
): Promise<z.output<S> | undefined> {
  try {
    return parse(schema, `${method} ${path}`, await rest.signed<unknown>(method, path, params));
  } catch (error) {
    if (hasBinanceCode(error, ...absent)) return undefined;
    throw error;
  }
}

const TickerPrice = z.object({ symbol: z.string(), price: z.string() });
const INVALID_SYMBOL = -1121;

/** A symbol's last price from a public ticker path; undefined for a symbol the market does not list. */
export async function tickerPrice(
  rest: BinanceRest,
  path: string,
  symbol: string,
): Promise<string | undefined> {
  try {
    return parse(TickerPrice, `GET ${path}`, await rest.get<unknown>(path, { symbol })).price;
  } catch (error) {
    if (hasBinanceCode(error, INVALID_SYMBOL)) return undefined;
    throw error;
  }
}
