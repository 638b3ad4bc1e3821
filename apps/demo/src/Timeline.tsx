import { useEffect, useRef, useSyncExternalStore } from 'react'
import { type Step, timeline } from './timeline.js'

/**
 * Steps of a machine, newest first, in plain words, each with the state it led to (and the event, with
 * `showEvents`); the list goes back to the top when a step arrives.
 */
export function StepList({
  steps,
  testId,
  labelledBy,
  showEvents = false,
}: {
  steps: Step[]
  testId: string
  labelledBy: string
  showEvents?: boolean
}) {
  const list = useRef<HTMLOListElement>(null)
  const newest = steps.at(-1)
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow each new step
  useEffect(() => {
    list.current?.scrollTo({ top: 0 })
  }, [newest])
  return (
    <ol
      className="timeline"
      data-testid={testId}
      ref={list}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a list that scrolls must be reachable by keyboard
      tabIndex={0}
      aria-labelledby={labelledBy}
    >
      {steps
        .map((step, index) => ({ step, index }))
        .reverse()
        .map(({ step, index }) => (
          <li
            key={`${step.at}-${index}`}
            data-state={step.to}
            data-event={step.label}
            className={step === newest ? 'newest' : undefined}
          >
            <time dateTime={new Date(step.at).toISOString()}>{new Date(step.at).toLocaleTimeString()}</time>
            <span className="words">{step.words}</span>
            {showEvents ? <code className="event">{step.label}</code> : null}
            <code className={`chip state-${step.to}`}>{step.to}</code>
          </li>
        ))}
    </ol>
  )
}

/** The page's machine's steps, newest first, in plain words. */
export function Timeline() {
  const steps = useSyncExternalStore(timeline.subscribe, timeline.getSnapshot, timeline.getSnapshot)
  return (
    <section aria-labelledby="timeline-title" className="card">
      <div className="row">
        <h2 id="timeline-title">Timeline</h2>
        <button type="button" className="link" onClick={timeline.clear}>
          Clear
        </button>
      </div>
      <p className="muted">
        Newest first. Each line is one step of the browser’s machine: what happened, then its state (the
        server’s steps are under its diagram).
      </p>
      <StepList steps={steps} testId="timeline" labelledBy="timeline-title" />
    </section>
  )
}
