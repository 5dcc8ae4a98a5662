// Every scenario, in the order they run and are reported.
import { deflateEcho, echo16k, echo64, inflateAttack, latency } from './echo.mjs';
import { fanout1k, fanout10k } from './fanout.mjs';
import { handshakes } from './handshakes.mjs';
import { h2Echo16k, h2Echo64, h2Handshakes, h2Memory } from './http2.mjs';
import {
  deflateMemory1k,
  deflateMemory10k,
  deflateTable,
  memory10k,
  memory50k,
} from './memory.mjs';

export const SCENARIOS = [
  echo64,
  echo16k,
  latency,
  fanout1k,
  fanout10k,
  memory10k,
  memory50k,
  handshakes,
  deflateEcho,
  inflateAttack,
  deflateMemory1k,
  deflateMemory10k,
  deflateTable,
  h2Handshakes,
  h2Memory,
  h2Echo64,
  h2Echo16k,
];
