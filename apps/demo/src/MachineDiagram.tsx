import layout from 'virtual:machine-layout'
import { useEffect, useRef } from 'react'
import { DIAGRAM_FONT } from './diagramLayout.js'
import type { Step } from './timeline.js'

const { label: LABEL, node: NODE } = DIAGRAM_FONT

/** An edge's route as an SVG path, corners slightly rounded. */
function pathOf(points: Array<{ x: number; y: number }>): string {
  const [first, ...rest] = points
  if (!first) return ''
  let d = `M${first.x},${first.y}`
  for (let i = 0; i < rest.length; i++) {
    const here = rest[i] as { x: number; y: number }
    const next = rest[i + 1]
    const previous = (i === 0 ? first : rest[i - 1]) as { x: number; y: number }
    if (!next) {
      d += ` L${here.x},${here.y}`
      break
    }
    // Cut the corner by up to 5 px on each side and join with a quadratic curve.
    const r = Math.min(
      5,
      Math.hypot(here.x - previous.x, here.y - previous.y) / 2,
      Math.hypot(next.x - here.x, next.y - here.y) / 2,
    )
    const towards = (a: { x: number; y: number }, length: number) => {
      const d0 = Math.hypot(a.x - here.x, a.y - here.y) || 1
      return { x: here.x + ((a.x - here.x) / d0) * length, y: here.y + ((a.y - here.y) / d0) * length }
    }
    const a = towards(previous, r)
    const b = towards(next, r)
    d += ` L${a.x},${a.y} Q${here.x},${here.y} ${b.x},${b.y}`
  }
  return d
}

/** Which machine a diagram shows: the page's (run by @jiko-auth/react) or the server's (@jiko-auth/node). */
export type MachineSide = 'browser' | 'server'

/** What an edge label's line means, for its tooltip. */
function meaning(side: MachineSide, from: string, type: string): string {
  if (type.startsWith('xstate.done.actor.')) return `${layout.requests[from] ?? 'the request'} succeeded`
  if (type.startsWith('xstate.error.actor.')) return `${layout.requests[from] ?? 'the request'} failed`
  if (type.startsWith('xstate.after.')) {
    return side === 'browser'
      ? 'the timer: shortly before the access token expires'
      : 'the timer: not scheduled on the server, where a request that finds the token expiring sends REFRESH'
  }
  return side === 'browser' ? `the page sent ${type}` : `a request made the server send ${type}`
}

const time = (at: number) => new Date(at).toLocaleTimeString()

/**
 * `authMachine` drawn from its own definition, laid out by ELK at build time (`virtual:machine-layout`). The
 * current state is filled; the transition just taken, and its event, are highlighted. `side` says whose machine it
 * is: the legend and the tooltips speak of the page's events or of the server's.
 */
export function MachineDiagram({
  side,
  current,
  taken,
}: {
  side: MachineSide
  /** Undefined while it is not known yet (the server's, before its stream answers). */
  current: string | undefined
  taken: Step | undefined
}) {
  const scroller = useRef<HTMLElement>(null)
  // On a narrow screen the diagram scrolls sideways: keep the current state in view, also when the width changes.
  useEffect(() => {
    const box = scroller.current
    if (!box) return
    const center = (behavior: ScrollBehavior) => {
      const node = box.querySelector<SVGGElement>(`[data-state="${current}"]`)
      if (!node || box.scrollWidth <= box.clientWidth) return
      const { x, width } = node.getBBox()
      box.scrollTo({ left: x + width / 2 - box.clientWidth / 2, behavior })
    }
    center('smooth')
    const resized = new ResizeObserver(() => center('instant'))
    resized.observe(box)
    return () => resized.disconnect()
  }, [current])
  const takenEdge = taken?.from ? `${taken.from}→${taken.to}` : undefined
  const requests = Object.entries(layout.requests)
  // Two diagrams on one page: each its own arrowheads.
  const marker = (id: string) => `${side}-${id}`
  return (
    <figure className="machine" data-machine={side}>
      <p className="scroll-hint">Drawn full size: scroll the diagram sideways to see all of it.</p>
      <section
        className="diagram-scroll"
        ref={scroller}
        aria-label={`The ${side}’s machine, diagram`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls must be reachable by keyboard
        tabIndex={0}
      >
        <svg
          className="diagram"
          width={layout.width}
          height={layout.height}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          role="img"
          aria-label={`The ${side}’s flow machine: states and transitions; current state: ${current ?? 'not known yet'}`}
        >
          <defs>
            {['arrow', 'arrow-taken'].map((id) => (
              <marker
                key={id}
                id={marker(id)}
                viewBox="0 0 10 10"
                refX="9"
                refY="5"
                markerUnits="userSpaceOnUse"
                markerWidth={id === 'arrow' ? 9 : 11}
                markerHeight={id === 'arrow' ? 9 : 11}
                orient="auto"
              >
                <path d="M0,0 L10,5 L0,10 z" className={id} />
              </marker>
            ))}
          </defs>
          {layout.edges.map((edge) => {
            const isTaken = edge.id === takenEdge
            return (
              <g key={edge.id} className={isTaken ? 'edge taken' : 'edge'} data-edge={edge.id}>
                <path
                  d={pathOf(edge.points)}
                  markerEnd={`url(#${marker(isTaken ? 'arrow-taken' : 'arrow')})`}
                />
              </g>
            )
          })}
          {layout.edges.map((edge) => {
            const isTaken = edge.id === takenEdge
            return (
              <g key={edge.id} className={isTaken ? 'edge-label taken' : 'edge-label'} data-edge={edge.id}>
                <rect
                  className="label-box"
                  x={edge.label.x}
                  y={edge.label.y}
                  width={edge.label.width}
                  height={edge.label.height}
                  rx={3}
                />
                {edge.events.map((event, i) => (
                  <text
                    key={event.label}
                    className={isTaken && taken?.event === event.type ? 'label taken' : 'label'}
                    x={edge.label.x + LABEL.padding}
                    y={edge.label.y + LABEL.padding + (i + 0.5) * LABEL.lineHeight}
                  >
                    <title>{`${edge.from} → ${edge.to}: ${meaning(side, edge.from, event.type)}`}</title>
                    {event.label}
                  </text>
                ))}
              </g>
            )
          })}
          {layout.nodes.map((node) => {
            const active = node.id === current
            return (
              <g
                key={node.id}
                className={active ? 'node active' : 'node'}
                data-state={node.id}
                aria-current={active || undefined}
              >
                <rect
                  className="pill"
                  x={node.x}
                  y={node.y}
                  width={node.width}
                  height={node.height}
                  rx={NODE.height / 2}
                />
                <text x={node.x + node.width / 2} y={node.y + node.height / 2}>
                  {node.id}
                </text>
              </g>
            )
          })}
        </svg>
      </section>
      <figcaption>
        <p className="last-step" data-testid="last-step" aria-live="polite">
          {taken?.from ? (
            <>
              Last step: <code>{taken.from}</code> → <code>{taken.to}</code> on <code>{taken.label}</code> at{' '}
              <time dateTime={new Date(taken.at).toISOString()}>{time(taken.at)}</time>
            </>
          ) : current === undefined ? (
            'Waiting for the server…'
          ) : (
            <>
              Now in <code>{current}</code>
              {taken ? (
                <>
                  {' '}
                  since {side === 'browser' ? 'the page loaded' : `the ${taken.label}`} at{' '}
                  <time dateTime={new Date(taken.at).toISOString()}>{time(taken.at)}</time>
                </>
              ) : side === 'server' ? (
                ': what the server holds for this browser'
              ) : null}
            </>
          )}
        </p>
        <dl className="legend">
          <dt>
            <code>LOGIN</code>, <code>CALLBACK</code>…
          </dt>
          <dd>
            {side === 'browser'
              ? 'events the page sends: a button, the return from Jiko, a session found on load'
              : 'events the server’s routes send: /auth/login, the callback, a refresh (asked, or a request that finds the token expiring)'}
          </dd>
          <dt>
            <code>done</code> / <code>failed</code>
          </dt>
          <dd>
            {side === 'browser'
              ? 'the state’s request to the server succeeded / failed'
              : 'the state’s effect, run by the server itself (the token requests to Jiko), succeeded / failed'}{' '}
            (
            {requests.map(([state, request], i) => (
              <span key={state}>
                {i > 0 ? ', ' : ''}
                {state}: <code>{request}</code>
              </span>
            ))}
            )
          </dd>
          <dt>
            <code>timer</code>
          </dt>
          <dd>
            {side === 'browser'
              ? 'fires shortly before the access token expires, to refresh it ahead'
              : 'not scheduled on the server: a request that finds the token expiring sends REFRESH'}
          </dd>
          <dt>
            <code>[guard]</code>
          </dt>
          <dd>taken only when that condition holds</dd>
        </dl>
      </figcaption>
    </figure>
  )
}
