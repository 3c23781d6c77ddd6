/**
 * What each deploy of the after-a-deploy tests serves (scenario.ts): `approval`, which waits on a callback after a
 * step, as first deployed; a deploy that removed it; and one that renamed its step, so that its executions no
 * longer replay (each labelled with its deploy's name). Runtime-neutral (the Node and Deno servers, the bundled
 * Worker, the PostgreSQL host all serve these).
 */
import { durable, type DurableFunction } from "../../../src/index.ts"

export type Deploy = "first" | "removed" | "renamed"

export const DEPLOYS: ReadonlyArray<Deploy> = ["first", "removed", "renamed"]

/** Labelled with the deploy's name, so that the scenario sees which code a rewound execution is listed under. */
const approval = (stepName: string, version: Deploy) =>
  durable("approval", async (_: unknown, ctx) => {
    await ctx.step(stepName, async () => "checked")
    const [answer] = await ctx.createCallback<string>("answer")
    return { answer: await answer }
  }, { version })

/** Something else is served once approval is gone (a deploy serves at least one function). */
const other = durable("other", async () => "other")

export const functionsOf = (deploy: Deploy): Array<DurableFunction> =>
  deploy === "first" ? [approval("check", "first"), other] : deploy === "renamed" ? [approval("check-renamed", "renamed"), other] : [other]
