/** The whole fault suite (`npm run test:faults`): every scenario of test/faults/suite.ts, on one API and one worker. */
import { defineFaultSuite } from './suite.js';

defineFaultSuite({ subset: 'all' });
