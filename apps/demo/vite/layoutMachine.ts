import elk, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js'
import { DIAGRAM_FONT, type DiagramLayout } from '../src/diagramLayout.js'
import { type GraphEdge, machineGraph } from '../src/machineGraph.js'

/**
 * Width of a line of text in the diagram's monospace font. Every common monospace face advances 0.6 em or less
 * (DejaVu Sans Mono, Menlo, Consolas, Liberation Mono), so sizes are known here, at build time, without a browser;
 * 0.62 leaves a margin. The browser test checks the drawn boxes.
 */
const textWidth = (text: string, size: number) => Math.ceil(text.length * size * 0.62)

function labelSize(edge: GraphEdge) {
  const { size, lineHeight, padding } = DIAGRAM_FONT.label
  const width = Math.max(...edge.events.map((event) => textWidth(event.label, size)))
  return { width: width + 2 * padding, height: edge.events.length * lineHeight + 2 * padding }
}

/** ELK's layered algorithm, top to bottom: states in the machine's order, labels on their edges. */
const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  // The happy path reads downwards in the machine's own order; the edges back up are the ones drawn around.
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.spacing.nodeNode': '20',
  'elk.spacing.edgeNode': '12',
  'elk.spacing.edgeEdge': '12',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.spacing.nodeNodeBetweenLayers': '22',
  'elk.layered.spacing.edgeNodeBetweenLayers': '10',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '12',
  'elk.padding': '[top=8,left=8,bottom=8,right=8]',
}

/** Lays `authMachine` out with ELK (run by the Vite plugin at build time: the page ships the result, not ELK). */
export async function layoutMachine(): Promise<DiagramLayout> {
  const { states, initial, edges, requests } = machineGraph()
  const { node } = DIAGRAM_FONT
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: LAYOUT_OPTIONS,
    children: states.map((id) => ({
      id,
      // A minimum width spreads the arrows that end on a short name such as `error`.
      width: Math.max(node.minWidth, textWidth(id, node.size) + 2 * node.padding),
      height: node.height,
    })),
    edges: edges.map(
      (edge): ElkExtendedEdge => ({
        id: edge.id,
        sources: [edge.from],
        targets: [edge.to],
        labels: [
          {
            id: `${edge.id}:label`,
            text: edge.events.map((event) => event.label).join('\n'),
            // On the edge itself, so that no label is left floating between two parallel lines.
            layoutOptions: { 'elk.edgeLabels.inline': 'true' },
            ...labelSize(edge),
          },
        ],
      }),
    ),
  }
  // elkjs is CommonJS: its constructor is the module and, as typed, its `default` too.
  const laid = await new elk.default().layout(graph)
  const byId = new Map(edges.map((edge) => [edge.id, edge]))
  const box = (shape: { x?: number; y?: number; width?: number; height?: number } | undefined) => ({
    x: shape?.x ?? 0,
    y: shape?.y ?? 0,
    width: shape?.width ?? 0,
    height: shape?.height ?? 0,
  })
  return {
    width: Math.ceil(laid.width ?? 0),
    height: Math.ceil(laid.height ?? 0),
    initial,
    requests,
    nodes: (laid.children ?? []).map((n) => ({ id: n.id, ...box(n) })),
    edges: (laid.edges ?? []).map((laidEdge) => {
      const edge = byId.get(laidEdge.id) as GraphEdge
      const points = (laidEdge.sections ?? []).flatMap((section) => [
        section.startPoint,
        ...(section.bendPoints ?? []),
        section.endPoint,
      ])
      return { ...edge, points: points.map(({ x, y }) => ({ x, y })), label: box(laidEdge.labels?.[0]) }
    }),
  }
}
