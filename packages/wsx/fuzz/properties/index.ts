/** The fast-check properties, run with a fixed seed by `npm test` and at length by `npm run fuzz`. */
import type fc from 'fast-check';
import { deflateAgreementProperty } from './deflate-agreement.js';
import { violationsProperty } from './violations.js';

export interface NamedProperty {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: fast-check's properties are generic in their values
  readonly property: fc.IProperty<any>;
  /** Runs in `npm test` (a few seconds at most). */
  readonly shortRuns: number;
}

export const PROPERTIES: readonly NamedProperty[] = [
  { name: 'connection: violations and chunkings', property: violationsProperty, shortRuns: 400 },
  {
    name: 'permessage-deflate: both sides agree',
    property: deflateAgreementProperty,
    shortRuns: 1000,
  },
];
