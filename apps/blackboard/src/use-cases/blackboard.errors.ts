import { AppError } from '@canopy/service-kit';

export function keyNotFound(scope: string, key: string): AppError {
  return new AppError('KEY_NOT_FOUND', `key ${key} not found in scope ${scope}`);
}

/** The caller gets the live version so it can re-read and retry its compare-and-set. */
export function versionConflict(
  scope: string,
  key: string,
  expected: number,
  currentVersion: number,
): AppError {
  return new AppError(
    'VERSION_CONFLICT',
    `key ${key} in scope ${scope} is at version ${currentVersion}, not ${expected}`,
    { currentVersion },
  );
}
