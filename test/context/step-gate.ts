/** For step bodies that end together (one timer of 2 ms for all who wait meanwhile): their ends share a write. */
let open: Promise<void> | undefined
export const gate = () => (open ??= new Promise<void>((r) => setTimeout(() => { open = undefined; r() }, 2)))
