/**
 * "Start or attach, then wait up to the deadline": how every use case that runs a workflow
 * talks to Temporal. The workflow id is derived from the resource id, so a retried request
 * attaches to the running execution (`USE_EXISTING`) and an id is never run twice
 * (`REJECT_DUPLICATE`: a closed execution is attached to, and its result read, instead).
 */
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';

/** The workflow's result, or `running` when it had not ended by the deadline. */
export type WorkflowRun<T> = { readonly status: 'ended'; readonly result: T } | { readonly status: 'running' };

/** Starts the workflow, or attaches to the execution with the same id. */
export async function startOrAttach<W extends Workflow>(
  temporal: Client,
  workflow: W,
  options: WorkflowStartOptions<W>,
): Promise<WorkflowHandle<W>> {
  try {
    return await temporal.workflow.start(workflow, {
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...options,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return temporal.workflow.getHandle<W>(options.workflowId);
  }
}

/** Waits for the workflow's result up to `deadlineMs`; a failed workflow throws its failure. */
export async function awaitUntil<W extends Workflow>(
  temporal: Client,
  handle: WorkflowHandle<W>,
  deadlineMs: number,
): Promise<WorkflowRun<WorkflowResultType<W>>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadlineMs);
  try {
    const result = await temporal.withAbortSignal(controller.signal, () => handle.result());
    return { status: 'ended', result };
  } catch (error) {
    if (controller.signal.aborted) return { status: 'running' };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Start or attach, then wait up to `deadlineMs`. */
export async function runWorkflow<W extends Workflow>(
  temporal: Client,
  workflow: W,
  options: WorkflowStartOptions<W>,
  deadlineMs: number,
): Promise<WorkflowRun<WorkflowResultType<W>>> {
  return awaitUntil(temporal, await startOrAttach(temporal, workflow, options), deadlineMs);
}
