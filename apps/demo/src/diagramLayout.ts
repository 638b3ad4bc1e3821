import type { GraphEdge } from './machineGraph.js'

/** Sizes the layout is computed for, in CSS pixels; the diagram is drawn at exactly this size. */
export const DIAGRAM_FONT = {
  node: { size: 14, height: 36, padding: 14, minWidth: 96 },
  label: { size: 13, lineHeight: 17, padding: 3 },
} as const

export interface Box {
  x: number
  y: number
  width: number
  height: number
}

/** ELK's answer for `authMachine`, trimmed to what the page draws (made at build time: `virtual:machine-layout`). */
export interface DiagramLayout {
  width: number
  height: number
  initial: string
  /** The request each state runs, by state: what `done`/`failed` out of it mean. */
  requests: Record<string, string>
  nodes: Array<Box & { id: string }>
  edges: Array<GraphEdge & { points: Array<{ x: number; y: number }>; label: Box }>
}
