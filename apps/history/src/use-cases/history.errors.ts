import { AppError } from '@canopy/service-kit';

export const noHistory = (execId: string) =>
  new AppError('EXECUTION_NOT_FOUND', `no history for execution ${execId}`);

export const tickNotFound = (execId: string, tick: number, retained?: [number, number]) =>
  new AppError(
    'TICK_NOT_FOUND',
    retained
      ? `tick ${tick} of execution ${execId} is not in history (retained: ${retained[0]}-${retained[1]})`
      : `execution ${execId} has no history`,
    retained ? { firstTick: retained[0], lastTick: retained[1] } : undefined,
  );
