/** Links into the Temporal Web UI, where operators see a saga's history. */
import type { Me } from '../../../src/contracts/index.js';

export function temporalWorkflowUrl(me: Me | null, workflowId: string): string | null {
  if (!me?.temporalUiUrl) return null;
  const base = me.temporalUiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(me.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
