import {
  type AnyActorRef,
  type AnyActorScope,
  type AnyStateMachine,
  type AnyStateNode,
  createActor,
  type EventFrom,
  type ExecutableActionObject,
  type InputFrom,
  type Snapshot,
  type SnapshotFrom,
} from 'xstate'
import { ErrorCode, JikoAuthError } from '../errors.js'

/** What one step ends with: the machine's snapshot and the record to store. */
export interface MachineStepResult<TMachine extends AnyStateMachine> {
  snapshot: SnapshotFrom<TMachine>
  persisted: Snapshot<unknown>
}

export interface MachineStepperOptions {
  /** How long one invoked effect (a token request, say) may take before the step is given up (default 30 s). */
  timeoutMs?: number
  /**
   * Receives what the machine does, in the shape of XState's inspection events (`@xstate.actor` when a step starts,
   * then `@xstate.event` and `@xstate.snapshot` for each event it takes), so an XState inspector can show it. Each
   * step is one actor of the inspector's: `actorRef.sessionId` is `<machine id>:<step number>`. The events carry
   * secrets as they are: wrap the observer in `redactingInspector` unless it runs on your own machine only.
   */
  inspect?: (event: StepInspectionEvent) => void
  /** Called with a background effect's failure (a revocation spawned at logout, say); the step never waits for it. */
  onBackgroundError?: (error: unknown) => void
}

/** Who an inspection event is about: one step of the machine, named as XState names an actor. */
export interface StepActorRef {
  id: string
  sessionId: string
}

/** One thing the stepper saw, as XState's inspection protocol names it. */
export type StepInspectionEvent =
  | { type: '@xstate.actor'; rootId: string; actorRef: StepActorRef }
  | {
      type: '@xstate.event'
      rootId: string
      actorRef: StepActorRef
      sourceRef: undefined
      event: { type: string }
    }
  | {
      type: '@xstate.snapshot'
      rootId: string
      actorRef: StepActorRef
      event: { type: string }
      snapshot: Snapshot<unknown>
    }

/** A promise actor's logic as `fromPromise` builds it: its `config` is the function that does the work. */
type PromiseCreator = (args: {
  input: unknown
  signal: AbortSignal
  self: AnyActorRef
  system: unknown
  emit: () => void
}) => PromiseLike<unknown>

const DEFAULT_TIMEOUT_MS = 30_000

/**
 * Steps a machine without an actor, the way a server answers one request: restore the stored snapshot, take one
 * event, run each invoked promise effect itself (feeding back `xstate.done.actor.<id>` or `xstate.error.actor.<id>`)
 * until the machine waits for the next outside event, and hand back the snapshot to store. The machine stays the
 * one definition of the flow; the stepper only replaces the actor's scheduling, which a request/response server
 * does not need:
 * - delayed transitions (`after`) are not scheduled: the server decides when to refresh, by request;
 * - effects spawned without an invoke (a background revocation) run unawaited, their results are not fed back,
 *   and they are not part of the stored record.
 *
 * A model-based test replays every path of the flow on this stepper and on a real actor and compares every
 * persisted snapshot. Built on XState's public logic API (`getInitialSnapshot`, `transition`, `restoreSnapshot`,
 * `getPersistedSnapshot` with an actor scope of its own); xstate is pinned exactly for it (docs/architecture.md).
 *
 * @example
 * ```ts
 * const stepper = createMachineStepper(createDirectMachine({ config }))
 * const { snapshot, persisted } = await stepper.step(undefined, { type: 'LOGIN', returnTo: '/' }, { input: {} })
 * // snapshot.value === 'awaitingCallback'; store `persisted`, step it again with the CALLBACK
 * ```
 */
export function createMachineStepper<TMachine extends AnyStateMachine>(
  machine: TMachine,
  options: MachineStepperOptions = {},
) {
  const invokeIds = collectInvokeIds(machine.root)
  // One actor, never started, lends the scope a system; every step reuses it.
  const host = createActor(machine)
  let executed: ExecutableActionObject[] = []
  const scope: AnyActorScope = {
    self: host,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: host.system,
    stopChild: () => {},
    actionExecutor: (action) => {
      executed.push(action)
    },
  }

  /** Runs `compute` (a pure machine method) and collects the actions it asks to execute. */
  function collect<T>(compute: () => T): [T, ExecutableActionObject[]] {
    executed = []
    const result = compute()
    const actions = executed
    executed = []
    return [result, actions]
  }

  let steps = 0

  /** The inspector's actor for one step, announced; undefined without an inspector. */
  function inspectedActor(): StepActorRef | undefined {
    if (!options.inspect) return undefined
    steps += 1
    const actorRef = { id: machine.id, sessionId: `${machine.id}:${steps}` }
    options.inspect({ type: '@xstate.actor', rootId: actorRef.sessionId, actorRef })
    return actorRef
  }

  function inspect(
    actorRef: StepActorRef | undefined,
    snapshot: SnapshotFrom<TMachine>,
    event: { type: string },
  ) {
    if (!actorRef || !options.inspect) return
    const rootId = actorRef.sessionId
    options.inspect({ type: '@xstate.event', rootId, actorRef, sourceRef: undefined, event })
    options.inspect({ type: '@xstate.snapshot', rootId, actorRef, event, snapshot: persist(snapshot) })
  }

  async function step(
    from: Snapshot<unknown> | undefined,
    event: EventFrom<TMachine>,
    stepOptions: { input?: InputFrom<TMachine>; timeoutMs?: number } = {},
  ): Promise<MachineStepResult<TMachine>> {
    let snapshot = (
      from
        ? machine.restoreSnapshot(from, scope)
        : collect(() => machine.getInitialSnapshot(scope, stepOptions.input))[0]
    ) as SnapshotFrom<TMachine>
    let next: { type: string } = event
    const actorRef = inspectedActor()
    for (;;) {
      const [after, actions] = collect(() => machine.transition(snapshot, next, scope))
      snapshot = after as SnapshotFrom<TMachine>
      inspect(actorRef, snapshot, next)
      const effects = actions.filter(isSpawn)
      for (const effect of effects.filter((e) => !invokeIds.has(e.params.id))) runInBackground(effect)
      const invoked = effects.filter((e) => invokeIds.has(e.params.id))
      if (invoked.length === 0) break
      if (invoked.length > 1) {
        throw new JikoAuthError(ErrorCode.NotImplemented, 'The stepper runs one invoked effect at a time', {
          hint: 'Run this machine with an actor',
        })
      }
      next = await settle(invoked[0] as SpawnAction, stepOptions.timeoutMs ?? options.timeoutMs)
    }
    return { snapshot, persisted: persist(snapshot) }
  }

  /**
   * The record to store. A background effect is left out: it runs in this process only, and its input can hold
   * what it works on (the refresh token a logout revokes), which a stored record must not keep.
   */
  function persist(snapshot: SnapshotFrom<TMachine>): Snapshot<unknown> {
    const persisted = machine.getPersistedSnapshot(snapshot) as Snapshot<unknown> & {
      children?: Record<string, unknown>
    }
    for (const id of Object.keys(persisted.children ?? {})) {
      if (!invokeIds.has(id)) delete persisted.children?.[id]
    }
    return persisted
  }

  /** Runs one invoked effect to its end and answers the event the actor would have sent its parent. */
  async function settle(effect: SpawnAction, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ type: string }> {
    const id = effect.params.id
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    // Past the deadline the request is cancelled and the step fails: nothing is fed back, nothing is stored.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort()
        reject(
          new JikoAuthError(ErrorCode.Timeout, `The sign-in step did not finish within ${timeoutMs} ms`, {
            hint: 'Check that the authorization server answers; for refreshes, refreshLockMs bounds the time',
          }),
        )
      }, timeoutMs)
    })
    const outcome = start(effect, controller.signal).then(
      (output) => ({ type: `xstate.done.actor.${id}`, output, actorId: id }),
      (error: unknown) => ({ type: `xstate.error.actor.${id}`, error, actorId: id }),
    )
    try {
      return await Promise.race([outcome, deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  function runInBackground(effect: SpawnAction) {
    start(effect, new AbortController().signal).then(undefined, (error: unknown) =>
      options.onBackgroundError?.(error),
    )
  }

  function start(effect: SpawnAction, signal: AbortSignal): Promise<unknown> {
    const child = effect.params.actorRef
    const creator = (child as { logic?: { config?: unknown } } | undefined)?.logic?.config
    if (!child || typeof creator !== 'function') {
      return Promise.reject(
        new JikoAuthError(ErrorCode.NotImplemented, `The ${effect.params.id} effect is not a promise actor`, {
          hint: 'The stepper runs fromPromise actors only; run this machine with an actor',
        }),
      )
    }
    const input = (child.getSnapshot() as { input?: unknown }).input
    return Promise.resolve().then(() =>
      (creator as PromiseCreator)({ input, signal, self: child, system: scope.system, emit: () => {} }),
    )
  }

  return { step }
}

export type MachineStepper<TMachine extends AnyStateMachine> = ReturnType<
  typeof createMachineStepper<TMachine>
>

type SpawnAction = ExecutableActionObject & {
  type: 'xstate.spawnChild'
  params: { id: string; actorRef: AnyActorRef | undefined }
}

const isSpawn = (action: ExecutableActionObject): action is SpawnAction => action.type === 'xstate.spawnChild'

function collectInvokeIds(node: AnyStateNode, ids = new Set<string>()): Set<string> {
  for (const invoke of node.invoke) ids.add(invoke.id)
  for (const child of Object.values(node.states)) collectInvokeIds(child as AnyStateNode, ids)
  return ids
}
