/** The fault suite's CI pair (`npm run test:faults:ci`): the API SIGKILL and the killed Postgres connections. */
import { defineFaultSuite } from './suite.js';

defineFaultSuite({ subset: 'ci' });
