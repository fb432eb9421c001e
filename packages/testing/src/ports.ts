import net from "node:net";

/** A loopback port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A URL whose port is closed: what an unreachable server looks like in tests (never another host). */
export async function closedPortUrl(scheme: "postgresql" | "redis"): Promise<string> {
  const port = await freePort();
  return scheme === "postgresql" ? `postgresql://postgres@127.0.0.1:${port}/livehall` : `redis://127.0.0.1:${port}`;
}
