import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, sep } from 'node:path'
import type { Code, Nodes } from 'mdast'
import { fromMarkdown } from 'mdast-util-from-markdown'

/** One fenced code block of a README, as the harness sees it. */
export interface CodeBlock {
  /** The README, relative to the repository root, with `/` separators. */
  readme: string
  /** The line of the opening fence (1-based). */
  line: number
  /** The info string's first word (`ts`, `tsx`, `sh`, …), or `''`. */
  lang: string
  /** The info string's other words: `fragment`, `run`, `signin`. */
  meta: string[]
  code: string
}

/** The READMEs the harness reads: the root's, and those of every package, app and example. */
export function findReadmes(root: string): string[] {
  const readmes = ['README.md']
  for (const group of ['packages', 'apps', 'examples']) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const readme = join(group, entry.name, 'README.md')
      if (entry.isDirectory() && existsSync(join(root, readme))) readmes.push(readme)
    }
  }
  return readmes.sort()
}

/** Every fenced or indented code block of a README, in order, wherever it sits (lists and quotes included). */
export function codeBlocksOf(root: string, readme: string): CodeBlock[] {
  const tree = fromMarkdown(readFileSync(join(root, readme), 'utf8'))
  const blocks: CodeBlock[] = []
  const visit = (node: Nodes) => {
    if (node.type === 'code') blocks.push(toBlock(readme, node))
    if ('children' in node) for (const child of node.children) visit(child)
  }
  visit(tree)
  return blocks
}

function toBlock(readme: string, node: Code): CodeBlock {
  return {
    readme: readme.split(sep).join('/'),
    line: node.position?.start.line ?? 0,
    lang: (node.lang ?? '').toLowerCase(),
    meta: (node.meta ?? '').split(/\s+/).filter(Boolean),
    code: node.value,
  }
}
