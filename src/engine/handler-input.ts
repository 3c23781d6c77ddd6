/**
 * The input a handler is given, from the recorded one: started without an input, it gets `{}`, as AWS's SDK gives it
 * (it parses `InputPayload ?? "{}"`), so a handler that destructures its event works the same on both. The live run
 * and the replay check both read it here, so a replay sees what the run saw.
 */
export const handlerInput = (recorded: string | undefined): unknown => (recorded === undefined ? {} : JSON.parse(recorded))
