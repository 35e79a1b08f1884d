/** Method `redact`: the value is dropped; every row becomes null (the column keeps its type). */
export function maskRedact(_value: unknown): null {
  return null;
}
