import { CanopyError } from '../api/client';

export function errorText(error: unknown): string {
  // A CanopyError without a code is an answer without the error shape (a proxy's): its message says so.
  if (error instanceof CanopyError && error.code) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="error-line" role="alert">
      {errorText(error)}
    </div>
  );
}
