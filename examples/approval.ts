/**
 * A human approval that escalates: the manager is emailed a link (a callback id) and has three days to answer.
 * If the manager stays silent, the request goes to the director, who has two more days; if nobody answers, the
 * request expires. Either way the requester is told. Answers complete the callback with JSON
 * `{ "approved": true | false, "comment"?: "..." }`.
 */
import { CallbackTimeoutError, type DurableContext, type Duration, durable } from "reprise"

export interface ApprovalRequest {
  readonly requestId: string
  readonly requester: string
  readonly manager: string
  readonly director: string
  readonly summary: string
}
export interface Answer {
  readonly approved: boolean
  readonly comment?: string
}
export type Outcome = "approved" | "rejected" | "escalated-and-approved" | "escalated-and-rejected" | "expired"

/** A fake mail server that keeps what it sent; the approval links carry the callback ids. */
export const fakeMailer = (options: { print?: boolean } = {}) => {
  const sent: Array<{ to: string; subject: string; callbackId?: string }> = []
  return {
    sent,
    send: async (to: string, subject: string, callbackId?: string) => {
      sent.push(callbackId === undefined ? { to, subject } : { to, subject, callbackId })
      if (options.print) console.log(`[mail] to ${to}: ${subject}${callbackId === undefined ? "" : ` (callback ${callbackId})`}`)
    }
  }
}
export type Mailer = ReturnType<typeof fakeMailer>

export const makeApproval = (mailer: Mailer) => {
  /** Emails `approver` a link to answer and waits for the answer, at most `timeout`. */
  const ask = async (ctx: DurableContext, role: "manager" | "director", approver: string, request: ApprovalRequest, timeout: Duration) => {
    // Create the callback first so the id exists, then send it in a step: the email goes out once, even on replay.
    const [answer, callbackId] = await ctx.createCallback(`${role}-approval`, { timeout })
    await ctx.step(`email-${role}`, () => mailer.send(approver, `Please approve: ${request.summary}`, callbackId))
    return JSON.parse(await answer) as Answer
  }

  return durable("approval", async (request: ApprovalRequest, ctx) => {
    let outcome: Outcome
    let answer: Answer | undefined
    try {
      answer = await ask(ctx, "manager", request.manager, request, { days: 3 })
      outcome = answer.approved ? "approved" : "rejected"
    } catch (error) {
      if (!(error instanceof CallbackTimeoutError)) throw error // a failed callback fails the execution
      try {
        answer = await ask(ctx, "director", request.director, request, { days: 2 })
        outcome = answer.approved ? "escalated-and-approved" : "escalated-and-rejected"
      } catch (escalationError) {
        if (!(escalationError instanceof CallbackTimeoutError)) throw escalationError
        outcome = "expired"
      }
    }
    await ctx.step("notify-requester", () => mailer.send(request.requester, `Request ${request.requestId}: ${outcome}`))
    return { requestId: request.requestId, outcome, comment: answer?.comment ?? null }
  }, { description: "Human approval: the manager has 3 days to answer, then it escalates to the director (2 days)" })
}

/** The instance `npm start` serves: its emails are printed, with the callback ids to complete. */
export const approval = makeApproval(fakeMailer({ print: true }))
