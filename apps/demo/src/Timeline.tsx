import { useSyncExternalStore } from 'react'
import { timeline } from './timeline.js'

export function Timeline() {
  const entries = useSyncExternalStore(timeline.subscribe, timeline.getSnapshot, timeline.getSnapshot)
  return (
    <section aria-labelledby="timeline-title">
      <div className="row">
        <h2 id="timeline-title">Timeline</h2>
        <button type="button" className="link" onClick={timeline.clear}>
          Clear
        </button>
      </div>
      <ol className="timeline" data-testid="timeline">
        {entries.map((entry) => (
          <li key={`${entry.at}-${entry.state}`} data-state={entry.state}>
            <time dateTime={new Date(entry.at).toISOString()}>{new Date(entry.at).toLocaleTimeString()}</time>{' '}
            <strong>{entry.state}</strong> <span className="muted">after {entry.event}</span>
          </li>
        ))}
      </ol>
    </section>
  )
}
