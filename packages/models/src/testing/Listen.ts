import { Effect } from "effect"
import type { Scope } from "effect"
import type * as NodeHttp from "node:http"
import type * as Net from "node:net"

/**
 * Listens on an ephemeral port of 127.0.0.1 and returns it; when the scope closes, open
 * connections are destroyed (a hung request included) and the server is closed.
 */
export const listenScoped = (server: NodeHttp.Server): Effect.Effect<number, never, Scope.Scope> => {
  const sockets = new Set<Net.Socket>()
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  return Effect.acquireRelease(
    Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as Net.AddressInfo).port)))
    }),
    () =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  )
}
