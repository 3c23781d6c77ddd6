/**
 * Step-level limits (`ctx.step(name, fn, { concurrencyKey, limit })`): at most `limit` step bodies of one key run at
 * once across the executions of one engine, that is one host process. In memory: a body waiting for its turn has
 * written nothing, so a crash loses no place (its replay asks again). The limit of the first body of a key that
 * finds none running is the one that counts while any runs.
 */
export const makeStepLimits = () => {
  const groups = new Map<string, { running: number; limit: number; waiting: Array<() => void> }>()
  return (key: string, limit: number): Promise<() => void> => {
    let group = groups.get(key)
    if (group === undefined) {
      group = { running: 0, limit, waiting: [] }
      groups.set(key, group)
    }
    const g = group
    let released = false
    const release = () => {
      if (released) return
      released = true
      const next = g.waiting.shift()
      if (next !== undefined) return next() // the slot passes on: `running` stays
      g.running--
      if (g.running === 0) groups.delete(key)
    }
    if (g.running < g.limit) {
      g.running++
      return Promise.resolve(release)
    }
    return new Promise((resolve) => g.waiting.push(() => resolve(release)))
  }
}
