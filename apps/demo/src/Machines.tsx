import { useJikoAuth } from '@jiko-auth/react'
import { type KeyboardEvent, useRef, useState, useSyncExternalStore } from 'react'
import { MachineDiagram, type MachineSide } from './MachineDiagram.js'
import { SERVER_MACHINE_URL, serverMachine } from './serverMachine.js'
import { StepList } from './Timeline.js'
import { timeline } from './timeline.js'

/** Wide enough for both diagrams at full size, side by side; narrower, they are tabs. */
const SIDE_BY_SIDE = '(min-width: 80rem)'
const SIDES: Array<{ side: MachineSide; name: string }> = [
  { side: 'browser', name: 'Browser' },
  { side: 'server', name: 'Server' },
]

function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (listener) => {
      const list = matchMedia(query)
      list.addEventListener('change', listener)
      return () => list.removeEventListener('change', listener)
    },
    () => matchMedia(query).matches,
    () => true,
  )
}

/** The page's machine, as the react provider runs it. */
function BrowserMachine() {
  const { state } = useJikoAuth()
  const steps = useSyncExternalStore(timeline.subscribe, timeline.getSnapshot, timeline.getSnapshot)
  const newest = steps.at(-1)
  return (
    <section aria-labelledby="browser-machine-title" className="card machine-card">
      <h2 id="browser-machine-title">The browser’s machine</h2>
      <p className="who">
        Browser: <code>@jiko-auth/react</code>, holds no token
      </p>
      <MachineDiagram side="browser" current={state} taken={newest?.to === state ? newest : undefined} />
    </section>
  )
}

/** The server's machine for this browser, from the demo server's stream. */
function ServerMachine() {
  const { live, current, steps } = useSyncExternalStore(
    serverMachine.subscribe,
    serverMachine.getSnapshot,
    serverMachine.getSnapshot,
  )
  const newest = steps.at(-1)
  return (
    <section aria-labelledby="server-machine-title" className="card machine-card">
      <div className="row">
        <h2 id="server-machine-title">The server’s machine</h2>
        <span className={live ? 'live on' : 'live'} data-testid="server-live">
          {live ? 'live' : 'connecting…'}
        </span>
      </div>
      <p className="who">
        Server: <code>@jiko-auth/node</code>, holds the tokens — shown redacted
      </p>
      <MachineDiagram side="server" current={current} taken={newest?.to === current ? newest : undefined} />
      <h3 id="server-steps-title">Server steps</h3>
      <p className="muted">
        Newest first: each step the server took for this browser’s requests, as its inspector sees them (
        <code>createJikoAuth({'{ inspect }'})</code>, streamed from <code>{SERVER_MACHINE_URL}</code>).
      </p>
      <StepList steps={steps} testId="server-timeline" labelledBy="server-steps-title" showEvents />
    </section>
  )
}

/** Both machines: side by side on a wide screen, one tab each on a narrower one. */
export function Machines() {
  const sideBySide = useMediaQuery(SIDE_BY_SIDE)
  const [shown, setShown] = useState<MachineSide>('browser')
  const tabs = useRef<Partial<Record<MachineSide, HTMLButtonElement | null>>>({})
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return
    const next = shown === 'browser' ? 'server' : 'browser'
    setShown(next)
    tabs.current[next]?.focus()
  }
  return (
    <div className={sideBySide ? 'machines side-by-side' : 'machines'}>
      {sideBySide ? null : (
        <div role="tablist" aria-label="Machine shown" className="tabs">
          {SIDES.map(({ side, name }) => (
            <button
              key={side}
              type="button"
              role="tab"
              id={`tab-${side}`}
              ref={(button) => {
                tabs.current[side] = button
              }}
              aria-selected={shown === side}
              aria-controls={`panel-${side}`}
              tabIndex={shown === side ? 0 : -1}
              onClick={() => setShown(side)}
              onKeyDown={onKeyDown}
            >
              {name}
            </button>
          ))}
        </div>
      )}
      {SIDES.map(({ side }) => (
        <div
          key={side}
          id={`panel-${side}`}
          data-testid={`${side}-machine`}
          {...(sideBySide
            ? {}
            : { role: 'tabpanel', 'aria-labelledby': `tab-${side}`, hidden: shown !== side })}
        >
          {side === 'browser' ? <BrowserMachine /> : <ServerMachine />}
        </div>
      ))}
    </div>
  )
}
