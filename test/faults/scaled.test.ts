/**
 * The fault suite on two API processes and two worker processes (`npm run test:faults:scaled`),
 * one Temporal server and one Postgres, requests spread round robin over the APIs: the worker
 * running a saga step SIGKILLed at each step (the other takes the sagas over), one worker
 * SIGKILLed mid-load while the other carries on, one API SIGKILLed while requests wait on it,
 * and every Postgres connection of the four terminated. Figures: test-results/faults-2+2.{json,md}.
 */
import { defineFaultSuite } from './suite.js';

defineFaultSuite({ subset: 'scaled', topology: { apis: 2, workers: 2 } });
