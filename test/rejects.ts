/** What a promise that must fail rejected with; a promise that resolves fails the test. */
export const rejects = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected a rejection")
}
