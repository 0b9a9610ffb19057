import { jsx } from 'hono/jsx'

/**
 * hono/jsx (4.13) runs every render inside an AsyncLocalStorage, so that `useContext` survives an
 * `await` inside async components. On Node 20 the first `AsyncLocalStorage.run` turns on promise
 * hooks for the whole process, for good: from then on every promise any request makes (each
 * middleware, each handler) pays a hook call. We use neither JSX context nor async components —
 * every view is a plain synchronous function of its props — so the storage buys us nothing.
 * Before anything renders, this lets hono probe for AsyncLocalStorage once while it is hidden, and
 * hono keeps to its synchronous store for good (its documented fallback: context still works in
 * synchronous components). Measured in the http bench: see docs/decisions.md, 2026-11-23.
 *
 * Import it before the first render (src/app.tsx does).
 */
export function renderWithoutAsyncLocalStorage(): void {
  const proc = process as unknown as { getBuiltinModule?: (id: string) => object | undefined }
  const original = proc.getBuiltinModule
  if (!original) return
  proc.getBuiltinModule = (id) =>
    id === 'node:async_hooks' || id === 'async_hooks' ? undefined : original.call(process, id)
  try {
    // Any render makes hono probe (once per process) for the storage it would use.
    String(jsx('i', {}))
  } finally {
    proc.getBuiltinModule = original
  }
}
