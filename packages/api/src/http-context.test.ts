import { Socket } from "node:net";
import { IncomingMessage } from "node:http";
import { describe, expect, test } from "vitest";
import { isLoopbackAddress, isSecureRequest } from "./http-context";

/** A request as node:http builds it, on a socket whose peer address is `remoteAddress`. */
function requestFrom(remoteAddress: string, headers: Record<string, string> = {}, encrypted = false) {
  const socket = new Socket();
  Object.defineProperty(socket, "remoteAddress", { value: remoteAddress });
  if (encrypted) Object.defineProperty(socket, "encrypted", { value: true });
  const req = new IncomingMessage(socket);
  req.headers = headers;
  return req;
}

describe("isSecureRequest", () => {
  test("believes X-Forwarded-Proto only from a loopback proxy, and its first hop only", () => {
    expect(isSecureRequest(requestFrom("127.0.0.1", { "x-forwarded-proto": "https" }))).toBe(true);
    expect(isSecureRequest(requestFrom("::ffff:127.0.0.1", { "x-forwarded-proto": "HTTPS, http" }))).toBe(true);
    expect(isSecureRequest(requestFrom("::1", { "x-forwarded-proto": "http, https" }))).toBe(false);
    expect(isSecureRequest(requestFrom("192.0.2.10", { "x-forwarded-proto": "https" }))).toBe(false);
    expect(isSecureRequest(requestFrom("192.0.2.10"))).toBe(false);
    expect(isSecureRequest(requestFrom("127.0.0.1"))).toBe(false);
  });

  test("a TLS socket is https whoever the peer is", () => {
    expect(isSecureRequest(requestFrom("192.0.2.10", {}, true))).toBe(true);
  });

  test("loopback addresses", () => {
    for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      expect(isLoopbackAddress(address)).toBe(true);
    for (const address of ["10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "", undefined])
      expect(isLoopbackAddress(address)).toBe(false);
  });
});
