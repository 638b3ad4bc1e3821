import { useEffect, useRef, useSyncExternalStore } from 'react'
import { timeline } from './timeline.js'

/** The machine's steps, newest first, in plain words; the list goes back to the top when a step arrives. */
export function Timeline() {
  const steps = useSyncExternalStore(timeline.subscribe, timeline.getSnapshot, timeline.getSnapshot)
  const list = useRef<HTMLOListElement>(null)
  const newest = steps.at(-1)
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow each new step
  useEffect(() => {
    list.current?.scrollTo({ top: 0 })
  }, [newest])
  return (
    <section aria-labelledby="timeline-title" className="card">
      <div className="row">
        <h2 id="timeline-title">Timeline</h2>
        <button type="button" className="link" onClick={timeline.clear}>
          Clear
        </button>
      </div>
      <p className="muted">
        Newest first. Each line is one step of the machine: what happened, then its state.
      </p>
      <ol
        className="timeline"
        data-testid="timeline"
        ref={list}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a list that scrolls must be reachable by keyboard
        tabIndex={0}
        aria-labelledby="timeline-title"
      >
        {steps
          .map((step, index) => ({ step, index }))
          .reverse()
          .map(({ step, index }) => (
            <li
              key={`${step.at}-${index}`}
              data-state={step.to}
              className={step === newest ? 'newest' : undefined}
            >
              <time dateTime={new Date(step.at).toISOString()}>{new Date(step.at).toLocaleTimeString()}</time>
              <span className="words">{step.words}</span>
              <code className={`chip state-${step.to}`}>{step.to}</code>
            </li>
          ))}
      </ol>
    </section>
  )
}
