// Starting and stopping a local service's HTTP server on a loopback port, shared by every emulator.
import type { Server } from "http";
import type { AddressInfo } from "net";

/** Starts `server` on `host:port` (0 = a free port) and answers where it listens. */
export async function listen(server: Server, port = 0, host = "127.0.0.1"): Promise<{ port: number; endpoint: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { port: address.port, endpoint: `http://${hostname}:${address.port}` };
}

/**
 * Stops `server`: no new connections, idle ones closed now, the rest after `graceMs` (0 = at
 * once), so a stopping service never waits on a client's keep-alive.
 */
export async function close(server: Server, graceMs = 0): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(force);
  }
}
