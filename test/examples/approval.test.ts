import { assert, describe, it } from "@effect/vitest"
import { createTestRunner } from "reprise/testing"
import { type ApprovalRequest, fakeMailer, makeApproval } from "../../examples/approval.ts"
import { fixedStart } from "../testing/fixed-start.ts"

const request: ApprovalRequest = {
  requestId: "req-7",
  requester: "ada@example.com",
  manager: "grace@example.com",
  director: "linus@example.com",
  summary: "a new laptop, 2,400 EUR"
}
const DAY = 24 * 60 * 60 * 1000
const START = Date.UTC(2026, 0, 1)

const setup = () => {
  const mailer = fakeMailer()
  const runner = createTestRunner({ ...fixedStart, functions: [makeApproval(mailer)] })
  const count = (to: string) => mailer.sent.filter((mail) => mail.to === to).length
  /** How many emails each person got. */
  const mailsTo = () => ({ requester: count(request.requester), manager: count(request.manager), director: count(request.director) })
  return { mailer, runner, mailsTo }
}
const answer = (approved: boolean, comment?: string) => ({ succeed: JSON.stringify({ approved, ...(comment === undefined ? {} : { comment }) }) })

describe("examples/approval", () => {
  it("the manager approves: no escalation, the requester is told once", async () => {
    const { runner, mailer, mailsTo } = setup()
    const execution = await runner.run("approval", request, { callbacks: { "manager-approval": () => answer(true, "enjoy") } })
    assert.deepStrictEqual(execution.result, { requestId: "req-7", outcome: "approved", comment: "enjoy" })
    assert.deepStrictEqual(mailsTo(), { requester: 1, manager: 1, director: 0 })
    // The link in the manager's email is the callback's id.
    assert.strictEqual(mailer.sent[0]?.callbackId, execution.callback("manager-approval").callbackId)
    assert.strictEqual(execution.now.getTime(), START) // no time passed
    await runner.dispose()
  })

  it("the manager rejects", async () => {
    const { runner, mailsTo } = setup()
    const execution = await runner.run("approval", request, { callbacks: { "manager-approval": () => answer(false, "over budget") } })
    assert.deepStrictEqual(execution.result, { requestId: "req-7", outcome: "rejected", comment: "over budget" })
    assert.deepStrictEqual(mailsTo(), { requester: 1, manager: 1, director: 0 })
    await runner.dispose()
  })

  it("escalates to the director after three silent days", async () => {
    const { runner, mailsTo } = setup()
    const execution = await runner.run("approval", request, { callbacks: { "director-approval": () => answer(true) } })
    assert.deepStrictEqual(execution.result, { requestId: "req-7", outcome: "escalated-and-approved", comment: null })
    assert.strictEqual(execution.callback("manager-approval").status, "TIMED_OUT")
    assert.strictEqual(execution.now.getTime() - START, 3 * DAY) // skipped, not waited
    assert.deepStrictEqual(mailsTo(), { requester: 1, manager: 1, director: 1 })
    await runner.dispose()
  })

  it("expires when the director stays silent too, after 3 + 2 days", async () => {
    const { runner, mailsTo } = setup()
    const execution = await runner.run("approval", request)
    assert.deepStrictEqual(execution.result, { requestId: "req-7", outcome: "expired", comment: null })
    assert.strictEqual(execution.now.getTime() - START, 5 * DAY)
    assert.deepStrictEqual(mailsTo(), { requester: 1, manager: 1, director: 1 })
    await runner.dispose()
  })

  it("an answer on day 2 stops the escalation timer", async () => {
    const { runner, mailsTo } = setup()
    const execution = await runner.start("approval", request)
    await execution.advanceTime({ days: 2 })
    await execution.sendCallbackSuccess("manager-approval", JSON.stringify({ approved: true }))
    assert.deepStrictEqual(execution.result, { requestId: "req-7", outcome: "approved", comment: null })
    await execution.advanceTime({ days: 10 })
    assert.deepStrictEqual(mailsTo(), { requester: 1, manager: 1, director: 0 })
    await runner.dispose()
  })

  it("survives crashes while waiting on each approver, emailing each of them once", async () => {
    const { runner, mailsTo } = setup()
    const execution = await runner.start("approval", request)
    await execution.advanceTime(3 * DAY - 1000)
    assert.deepStrictEqual(mailsTo(), { requester: 0, manager: 1, director: 0 }) // one second left for the manager

    await execution.evict() // crash while the manager's timeout runs
    await execution.advanceTime({ seconds: 1 }) // replay; the manager's callback times out; the director is asked
    assert.strictEqual(execution.status, "RUNNING")
    assert.deepStrictEqual(mailsTo(), { requester: 0, manager: 1, director: 1 })

    await execution.evict() // crash while the director thinks
    await execution.sendCallbackSuccess("director-approval", JSON.stringify({ approved: false, comment: "not this year" }))
    assert.deepStrictEqual(execution.result, { requestId: "req-7", outcome: "escalated-and-rejected", comment: "not this year" })
    assert.strictEqual(execution.invocations, 3)
    assert.deepStrictEqual(mailsTo(), { requester: 1, manager: 1, director: 1 })
    await runner.dispose()
  })

  it("a failed callback (the approval tool reports an error) fails the execution", async () => {
    const { runner } = setup()
    const execution = await runner.run("approval", request, {
      callbacks: { "manager-approval": () => ({ fail: { errorMessage: "approval tool crashed", errorType: "ToolError" } }) }
    })
    assert.strictEqual(execution.status, "FAILED")
    assert.deepInclude(execution.error, { errorType: "CallbackExternalError", errorMessage: "approval tool crashed" })
    await runner.dispose()
  })

  it("a failure with no message fails it with AWS's default one (was a LogCorrupted from the runner)", async () => {
    const { runner } = setup()
    const execution = await runner.run("approval", request, { callbacks: { "manager-approval": () => ({ fail: {} }) } })
    assert.strictEqual(execution.status, "FAILED")
    assert.deepInclude(execution.error, { errorType: "CallbackExternalError", errorMessage: "Callback failed" })
    await runner.dispose()
  })
})
