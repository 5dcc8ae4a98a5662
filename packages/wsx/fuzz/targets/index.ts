/** Every fuzz target, in the order the runner visits them. */
import type { FuzzTarget } from '../engine/target.js';
import { connectionTarget } from './connection.js';
import { extensionsTarget } from './extensions.js';
import { frameParserTarget } from './frame-parser.js';
import { httpHeadTarget } from './http-head.js';
import { inflateTarget } from './inflate.js';

export const TARGETS: readonly FuzzTarget[] = [
  frameParserTarget,
  httpHeadTarget,
  extensionsTarget,
  connectionTarget,
  inflateTarget,
];
