// A store's events, newest first: what happened, when, who did it and the correlation id that ties
// an API call to its cluster outcomes, and how long each provisioning step took. New events appear
// at the top as they are pushed.
import type { StoreEvent } from "../api/types";
import { formatWhen } from "../ui/time";
import { eventDetails, eventTitle } from "./eventText";
import { formatSeconds, stepTimes } from "./stepTimes";

export interface TimelineProps {
  events: StoreEvent[];
  /** When time travelling, events after this version are shown as "not yet happened". */
  asOfVersion?: number | null;
  onPickVersion?(version: number): void;
}

export function Timeline({ events, asOfVersion = null, onPickVersion }: TimelineProps) {
  const newestFirst = [...events].sort((a, b) => b.sequence - a.sequence);
  const times = stepTimes(events);
  if (newestFirst.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <ol className="timeline" aria-label="Timeline, newest first">
      {newestFirst.map((event) => {
        const future = asOfVersion !== null && event.version > asOfVersion;
        const time = times.get(event.sequence);
        return (
          <li key={event.sequence} className={future ? "event future" : "event"} data-event-type={event.type} data-sequence={event.sequence}>
            <div className="event-head">
              <strong className="event-what">{eventTitle(event.type)}</strong>
              <time dateTime={event.occurredAt}>{formatWhen(event.occurredAt)}</time>
            </div>
            <dl className="event-facts">
              <div>
                <dt>By</dt>
                <dd className="actor">{event.actor}</dd>
              </div>
              <div>
                <dt>Correlation</dt>
                <dd>
                  <code className="correlation" title={event.correlationId}>{event.correlationId}</code>
                </dd>
              </div>
              <div>
                <dt>Version</dt>
                <dd>
                  {onPickVersion ? (
                    <button type="button" className="link" onClick={() => onPickVersion(event.version)}
                      aria-label={`Show the store as of version ${event.version}`}>
                      {event.version}
                    </button>
                  ) : (
                    event.version
                  )}
                  {future && <span className="muted"> (after the shown point)</span>}
                </dd>
              </div>
              {time && (
                <div className="step-time">
                  <dt>Took</dt>
                  <dd>{formatSeconds(time.took)} ({formatSeconds(time.sinceStart)} since the request)</dd>
                </div>
              )}
              {eventDetails(event).map(([key, value]) => (
                <div key={key}>
                  <dt>{key}</dt>
                  <dd>{value}</dd>
                </div>
              ))}
            </dl>
          </li>
        );
      })}
    </ol>
  );
}
