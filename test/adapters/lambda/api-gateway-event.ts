/** An API Gateway (HTTP API, payload 2.0) event for a request, and a call of a Lambda HTTP handler with it. */

export const apiGatewayEvent = (method: string, target: string, body?: unknown) => {
  const [path, query = ""] = target.split("?") as [string, string?]
  return ({
  version: "2.0",
  routeKey: "$default",
  rawPath: path,
  rawQueryString: query,
  headers: { "content-type": "application/json", host: "api.example.com" },
  requestContext: {
    accountId: "123456789012",
    apiId: "api",
    domainName: "api.example.com",
    http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
    requestId: "r-1",
    routeKey: "$default",
    stage: "$default",
    time: new Date().toISOString(),
    timeEpoch: Date.now()
  },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  isBase64Encoded: false
  })
}

export type LambdaHttpResult = { statusCode: number; headers?: Record<string, string>; body: string }
export const call = (http: (event: any, context: any) => Promise<unknown>, event: unknown) => http(event, {}) as Promise<LambdaHttpResult>
