/**
 * Sets an own enumerable property even for keys like `__proto__`, which plain assignment would
 * treat as the prototype. Keywords come from user input, so any name can appear.
 */
export function defineOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export function hasOwn(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}
