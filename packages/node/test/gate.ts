/** A gate: `wait()` resolves once `open()` is called. */
export function gate() {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { wait: () => opened, open }
}

/**
 * Holds back the next call that passes through it, once armed: `arm()` returns what lets that call go on, and
 * `waiting` turns true while it is held.
 */
export function nextCallHold() {
  let armed: ReturnType<typeof gate> | undefined
  const hold = {
    waiting: false,
    arm() {
      armed = gate()
      return armed.open
    },
    async pass() {
      const held = armed
      if (!held) return
      armed = undefined
      hold.waiting = true
      await held.wait()
    },
  }
  return hold
}
