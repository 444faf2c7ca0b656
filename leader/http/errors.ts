/**
 * The `/api` error schema (reference/pioreactor-api.md §1.2):
 * `{"error": msg, "error_info": {"remediation", "cause", "status"}}`, with per-status default remediations.
 */
export const DEFAULT_REMEDIATION: Record<number, string> = {
  400: 'Check required fields and request format, then retry.',
  401: 'Authenticate and retry the request.',
  403: 'Verify permissions and configuration allow this action.',
  404: 'Confirm the resource exists and the URL is correct.',
  409: 'Resolve the conflicting state, then retry.',
  429: 'Wait briefly before retrying to avoid rate limits.',
  502: 'Check leader/worker connectivity and retry.',
  503: 'Service is unavailable; retry after a short delay.',
};

export interface ErrorBody {
  error: string;
  error_info: { remediation: string; cause: string; status: number };
}

export function errorBody(status: number, message: string, cause?: string, remediation?: string): ErrorBody {
  return {
    error: message || 'Request failed.',
    error_info: {
      remediation: remediation ?? DEFAULT_REMEDIATION[status] ?? 'Check server logs for details and retry.',
      cause: cause ?? message,
      status,
    },
  };
}

/** Throw from a handler to answer with the error schema. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly cause_?: string,
    readonly remediation?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
