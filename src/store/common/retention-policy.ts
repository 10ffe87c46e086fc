/** A retention policy as both stores apply it: checked, its age defaulted. */

import type { RetentionPolicy } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { DEFAULT_MAX_AGE_MILLIS } from './store-defaults.js';

/** The policy's age (defaulted) and session count; throws `InvalidQueryError` naming a bad one. */
export function checkRetentionPolicy(policy: RetentionPolicy): { maxAgeMillis: number; maxSessions: number | undefined } {
  const maxAgeMillis = policy.maxAgeMillis ?? DEFAULT_MAX_AGE_MILLIS;
  if (typeof maxAgeMillis !== 'number' || !Number.isFinite(maxAgeMillis) || maxAgeMillis < 0) {
    throw new InvalidQueryError('maxAgeMillis must be a finite number >= 0', 'maxAgeMillis');
  }
  const maxSessions = policy.maxSessions;
  if (maxSessions !== undefined && (!Number.isInteger(maxSessions) || maxSessions < 0)) {
    throw new InvalidQueryError('maxSessions must be an integer >= 0', 'maxSessions');
  }
  return { maxAgeMillis, maxSessions };
}
