/** One simple command of a shell block: its words (quotes removed, leading `NAME=value` dropped). */
export interface ShellCommand {
  argv: string[]
  /** The block's line (0-based) the command starts on. */
  line: number
}

/**
 * The simple commands of a shell block, enough to check what they name: `\` continuations joined, heredoc bodies
 * and comments left out, lists (`&&`, `||`, `;`, `|`) split. `$(…)` stays one word, as written.
 */
export function shellCommands(code: string): ShellCommand[] {
  const lines = code.split('\n')
  const commands: ShellCommand[] = []
  let heredoc: string | undefined
  for (let index = 0; index < lines.length; index++) {
    const start = index
    let text = lines[index] ?? ''
    if (heredoc !== undefined) {
      if (text.trim() === heredoc) heredoc = undefined
      continue
    }
    while (text.endsWith('\\') && index + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++index]}`
    const { words, terminator } = tokenize(text)
    heredoc = terminator
    for (const argv of splitLists(words)) {
      while (argv.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0] ?? '')) argv.shift()
      if (argv.length > 0) commands.push({ argv, line: start })
    }
  }
  return commands
}

const OPERATORS = ['&&', '||', ';', '|']

function splitLists(words: string[]): string[][] {
  const lists: string[][] = [[]]
  for (const word of words) {
    if (OPERATORS.includes(word)) lists.push([])
    else lists.at(-1)?.push(word)
  }
  return lists
}

/** Words and operators of one line; `<<EOF` / `<<'EOF'` ends the line and names the heredoc's terminator. */
function tokenize(line: string): { words: string[]; terminator?: string } {
  const words: string[] = []
  let word: string | undefined
  let terminator: string | undefined
  let i = 0
  const push = () => {
    if (word !== undefined) words.push(word)
    word = undefined
  }
  while (i < line.length) {
    const c = line[i] as string
    if (c === '#' && word === undefined) break
    if (/\s/.test(c)) {
      push()
      i++
    } else if (line.startsWith('<<', i)) {
      push()
      const match = /^<<-?\s*(['"]?)([A-Za-z_]+)\1/.exec(line.slice(i))
      terminator = match?.[2]
      i += match?.[0].length ?? 2
    } else if (OPERATORS.some((op) => line.startsWith(op, i))) {
      push()
      const op = OPERATORS.find((candidate) => line.startsWith(candidate, i)) as string
      words.push(op)
      i += op.length
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1)
      const stop = end === -1 ? line.length : end
      word = (word ?? '') + line.slice(i + 1, stop)
      i = stop + 1
    } else if (line.startsWith('$(', i)) {
      let depth = 0
      let j = i
      for (; j < line.length; j++) {
        if (line[j] === '(') depth++
        if (line[j] === ')' && --depth === 0) break
      }
      word = (word ?? '') + line.slice(i, j + 1)
      i = j + 1
    } else {
      word = (word ?? '') + c
      i++
    }
  }
  push()
  return terminator === undefined ? { words } : { words, terminator }
}
