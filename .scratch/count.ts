let imm = 0, to = 0
const si = globalThis.setImmediate; (globalThis as any).setImmediate = (...a: any[]) => { imm++; if (imm === 500) console.log(new Error().stack); return (si as any)(...a) }
const st = globalThis.setTimeout; (globalThis as any).setTimeout = (...a: any[]) => { to++; return (st as any)(...a) }
const { durable } = await import("/work/main/src/index.ts")
const { createTestRunner } = await import("/work/main/src/testing/index.ts")
const sequential = durable("sequential", async (n: number, ctx) => { for (let i = 0; i < n; i++) await ctx.step(async () => i); return n })
const runner = createTestRunner({ functions: [sequential] })
await runner.engine((e) => e.start({ functionName: "sequential", input: 1000, executionId: "a" }))
imm = 0; to = 0
await runner.engine((e) => e.awaitEnd("a"))
console.log({ imm, to })
