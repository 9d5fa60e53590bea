import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type RouteParams = Readonly<Record<string, string>>;
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: RouteParams,
  url: URL,
) => Promise<void> | void;

export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  readonly code = "PORT_IN_USE" as const;
  readonly retryable = false;
  constructor(
    readonly port: number,
    readonly variable: string,
    options?: ErrorOptions,
  ) {
    super(
      `port ${port} is already in use: set ${variable} to a free port (or ${variable}=0 to pick one)`,
      options,
    );
  }
}

/** A request the route cannot serve, answered with its status and message (not logged as a failure). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Route {
  method: string;
  parts: string[];
  handler: RouteHandler;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a JSON request body (capped at 1 MiB); one too large (413) or not JSON (400) is an HttpError. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > 1_048_576) throw new HttpError(413, "request body over 1 MiB");
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `body is not JSON: ${(error as Error).message}`);
  }
}

/** A tiny router: `/signals/:id` style parameters, JSON errors, nothing else. */
export class HttpServer {
  private readonly routes: Route[] = [];
  private server: Server | undefined;

  constructor(private readonly onError: (error: unknown, path: string) => void) {}

  route(method: string, path: string, handler: RouteHandler): void {
    this.routes.push({ method: method.toUpperCase(), parts: path.split("/").filter(Boolean), handler });
  }

  async listen(port: number, host: string, variable: string): Promise<number> {
    const server = createServer((req, res) => {
      this.dispatch(req, res).catch((error: unknown) => {
        if (error instanceof HttpError) {
          if (!res.headersSent) sendJson(res, error.status, { error: error.message });
          else res.end();
          return;
        }
        this.onError(error, req.url ?? "");
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
        else res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(error.code === "EADDRINUSE" ? new PortInUseError(port, variable, { cause: error }) : error),
      );
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== req.method || route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const matches = route.parts.every((p, i) => {
        const actual = parts[i] ?? "";
        if (p.startsWith(":")) {
          params[p.slice(1)] = decodeURIComponent(actual);
          return true;
        }
        return p === actual;
      });
      if (matches) return route.handler(req, res, params, url);
    }
    sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
  }
}
