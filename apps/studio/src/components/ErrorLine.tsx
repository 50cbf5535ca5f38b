import { ApiError } from '../api/client';

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
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
