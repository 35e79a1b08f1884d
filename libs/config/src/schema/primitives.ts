import { z } from 'zod';

// Every field carries a one-line description: it is the reference documentation of the YAML.
export const num = () => z.coerce.number();
export const bool = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
export const identifier = () =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, underscore; not starting with a digit)');
