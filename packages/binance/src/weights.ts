/** Request weight of the endpoints Tradewire calls (Binance API docs, spot and USD-M futures). */
export function requestWeight(
  path: string,
  params: Readonly<Record<string, string | number | undefined>> = {},
  method = "GET",
): number {
  switch (path) {
    // GET (query) 4; POST (place) and DELETE (cancel) 1.
    case "/api/v3/order":
      return method === "GET" ? 4 : 1;
    case "/api/v3/openOrders":
      return params.symbol === undefined ? 80 : 6;
    // 20, or 5 for one order's trades.
    case "/api/v3/myTrades":
      return params.orderId === undefined ? 20 : 5;
    case "/api/v3/account":
      return 20;
    case "/api/v3/ticker/price":
      return params.symbol === undefined ? 4 : 2;
    case "/fapi/v1/ticker/price":
      return params.symbol === undefined ? 2 : 1;
    // POST /api/v3/orderList/oco and DELETE /api/v3/orderList weigh 1 (the default).
    case "/api/v3/orderList":
      return method === "GET" ? 4 : 1;
    // USD-M order placement counts against the order-rate limits, not the IP weight (0 there).
    case "/fapi/v1/order":
    case "/fapi/v1/algoOrder":
      return method === "POST" ? 0 : 1;
    case "/fapi/v1/openOrders":
    case "/fapi/v1/openAlgoOrders":
      return params.symbol === undefined ? 40 : 1;
    case "/fapi/v1/positionSide/dual":
      return 30;
    case "/fapi/v1/userTrades":
    case "/fapi/v3/account":
    case "/fapi/v2/positionRisk":
    case "/fapi/v3/positionRisk":
      return 5;
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
