/**
 * Workflow interceptors (bundled into the worker's workflow code, see
 * WORKFLOW_INTERCEPTOR_MODULES in src/temporal/worker.ts): the HTTP request id that started a
 * workflow — its input's `requestId` — is attached to every workflow log line and sent to every
 * activity (regular and local) as the `requestId` header, where src/temporal/activity-interceptors.ts puts it on
 * the activity's log lines. One request id from the API through the workflow to the platform.
 * Module state is per workflow execution (the SDK isolates each workflow's module cache).
 */
import { defaultPayloadConverter, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const REQUEST_ID_HEADER = 'requestId';

let requestId: string | null = null;

function requestIdOfArgs(args: readonly unknown[]): string | null {
  const first = args[0];
  if (first && typeof first === 'object' && 'requestId' in first && typeof first.requestId === 'string')
    return first.requestId;
  return null;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      execute(input, next) {
        const header = input.headers[REQUEST_ID_HEADER];
        const fromHeader = header ? defaultPayloadConverter.fromPayload<unknown>(header) : null;
        requestId = typeof fromHeader === 'string' ? fromHeader : requestIdOfArgs(input.args);
        return next(input);
      },
    },
  ],
  outbound: [
    {
      scheduleActivity(input, next) {
        if (!requestId) return next(input);
        return next({
          ...input,
          headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) },
        });
      },
      scheduleLocalActivity(input, next) {
        if (!requestId) return next(input);
        return next({
          ...input,
          headers: { ...input.headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) },
        });
      },
      getLogAttributes(input, next) {
        return next(requestId ? { ...input, requestId } : input);
      },
    },
  ],
});
