/** Why a server could not start, in one line for people (no stack): a busy port is the usual reason. */
export const startErrorLine = (error: unknown, port: number | string, hostname = "127.0.0.1", choosePort = "--port, or PORT"): string => {
  const code = (error as { code?: unknown } | null)?.code
  if (code === "EADDRINUSE") return `port ${port} on ${hostname} is in use (another server?): stop it, or choose another port (${choosePort})`
  if (code === "EACCES") return `port ${port} on ${hostname} needs privileges this process does not have: choose a port above 1023`
  if (code === "EADDRNOTAVAIL") return `${hostname} is not an address of this machine`
  const message = error instanceof Error ? error.message : String(error)
  return `the server could not start: ${message.split("\n")[0]}`
}
