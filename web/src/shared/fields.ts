import { ApiError } from './api';

/**
 * The props of a Fluent UI Field for the API's error about field name (its
 * reason shown beside the field), nothing when the field is fine. A failed
 * save keeps what the user typed: forms keep their state and only add these.
 */
export function fieldProps(err: unknown, field: string): { validationState?: 'error'; validationMessage?: string } {
  if (!(err instanceof ApiError)) return {};
  const reason = err.fieldError(field);
  return reason ? { validationState: 'error', validationMessage: reason } : {};
}
