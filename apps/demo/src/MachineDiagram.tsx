import { authMachine } from '@jiko-auth/core/machine'
import { eventLabel } from './timeline.js'

interface Edge {
  from: string
  to: string
  labels: string[]
}

/** Nodes and edges read from the machine's own definition: nothing here is drawn by hand. */
function graphOf() {
  const nodes = Object.keys(authMachine.root.states)
  const edges = new Map<string, Edge>()
  for (const [from, node] of Object.entries(authMachine.root.states)) {
    for (const [eventType, transitions] of node.transitions) {
      for (const transition of transitions) {
        for (const target of transition.target ?? []) {
          const key = `${from}→${target.key}`
          const edge = edges.get(key) ?? { from, to: target.key, labels: [] }
          const label = eventLabel(eventType).replace(/^\w+ (done|failed)$/, '$1')
          if (!edge.labels.includes(label)) edge.labels.push(label)
          edges.set(key, edge)
        }
      }
    }
  }
  return { nodes, edges: [...edges.values()] }
}

const { nodes, edges } = graphOf()
const WIDTH = 720
const HEIGHT = 440
const RADIUS = 170
const position = (name: string) => {
  const angle = (nodes.indexOf(name) / nodes.length) * 2 * Math.PI - Math.PI / 2
  return { x: WIDTH / 2 + RADIUS * 1.6 * Math.cos(angle), y: HEIGHT / 2 + RADIUS * Math.sin(angle) }
}

const HALF_WIDTH = 62
const HALF_HEIGHT = 18

/** Where a line leaving a node's centre in direction (dx, dy) crosses its border. */
function border(center: { x: number; y: number }, dx: number, dy: number) {
  const scale = Math.min(HALF_WIDTH / Math.abs(dx || 1e-9), HALF_HEIGHT / Math.abs(dy || 1e-9))
  return { x: center.x + dx * scale, y: center.y + dy * scale }
}

/**
 * The flow machine as a graph generated from `authMachine.root.states`, the current state highlighted.
 */
export function MachineDiagram({ current }: { current: string }) {
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`State machine diagram; current state: ${current}`}
      className="diagram"
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="#8a94a6" />
        </marker>
      </defs>
      {edges.map((edge) => {
        const a = position(edge.from)
        const b = position(edge.to)
        // Bend each edge to its left so that A→B and B→A do not overlap; start and end on the nodes' borders.
        const dx = b.x - a.x
        const dy = b.y - a.y
        const length = Math.hypot(dx, dy) || 1
        const cx = (a.x + b.x) / 2 - (dy / length) * 40
        const cy = (a.y + b.y) / 2 + (dx / length) * 40
        const start = border(a, cx - a.x, cy - a.y)
        const end = border(b, cx - b.x, cy - b.y)
        return (
          <g key={`${edge.from}-${edge.to}`} className="edge">
            <path d={`M${start.x},${start.y} Q${cx},${cy} ${end.x},${end.y}`} markerEnd="url(#arrow)" />
            <text x={cx} y={cy}>
              {edge.labels.join(' / ')}
            </text>
          </g>
        )
      })}
      {nodes.map((name) => {
        const { x, y } = position(name)
        const active = name === current
        return (
          <g
            key={name}
            className={active ? 'node active' : 'node'}
            data-state={name}
            aria-current={active || undefined}
          >
            <rect
              x={x - HALF_WIDTH}
              y={y - HALF_HEIGHT}
              width={HALF_WIDTH * 2}
              height={HALF_HEIGHT * 2}
              rx={HALF_HEIGHT}
            />
            <text x={x} y={y + 5}>
              {name}
            </text>
          </g>
        )
      })}
    </svg>
  )
}
