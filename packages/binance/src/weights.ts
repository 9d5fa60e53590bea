/** Request weight of the endpoints Tradewire calls (Binance API docs, spot and USD-M futures). */
export function requestWeight(
  path: string,
  params: Readonly<Record<string, string | number | undefined>> = {},
  method = "GET",
): number {
  switch (path) {
    case "/api/v3/order":
      return method === "GET" ? 4 : 1;
    case "/api/v3/openOrders":
      return params.symbol === undefined ? 80 : 6;
    case "/api/v3/account":
      return 20;
    case "/api/v3/klines":
      return 2;
    case "/fapi/v1/klines": {
      const limit = Number(params.limit ?? 500);
      if (limit < 100) return 1;
      if (limit < 500) return 2;
      if (limit <= 1000) return 5;
      return 10;
    }
    case "/api/v3/exchangeInfo":
      return 20;
    case "/fapi/v1/exchangeInfo":
      return 1;
    case "/api/v3/time":
    case "/fapi/v1/time":
    case "/api/v3/ping":
      return 1;
    default:
      return 1;
  }
}
