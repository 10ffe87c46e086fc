/**
 * For each built-in detector, the inputs that would make a backtracking
 * pattern rescan the text from many starts: a prefix every match opens with,
 * repeated, and a tail that makes the match fail only at the very end.
 * `build(size)` returns a string of about `size` characters.
 */

import type { DetectorKind } from '../../../src/model/redaction/detectors.js';

export interface WorstCase {
  label: string;
  build: (size: number) => string;
}

const repeatTo = (unit: string, size: number): string => unit.repeat(Math.max(1, Math.floor(size / unit.length)));

export const WORST_CASES: Record<DetectorKind, WorstCase[]> = {
  'anthropic-key': [
    { label: "'-sk-ant-api03-' repeated", build: (n) => repeatTo('-sk-ant-api03-', n) + '!' },
    { label: "'sk-ant-api03-' + 19 chars, repeated", build: (n) => repeatTo(' sk-ant-api03-aaaaaaaaaaaaaaaaaaa', n) },
  ],
  'openai-key': [
    { label: "'-sk-proj-' repeated", build: (n) => repeatTo('-sk-proj-', n) },
    { label: "'sk-' + alphanumerics then '_'", build: (n) => 'sk-' + 'a'.repeat(n) + '_' },
    { label: "' sk-' + 31 alphanumerics, repeated", build: (n) => repeatTo(' sk-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', n) },
  ],
  'aws-access-key': [
    { label: "'secret_access_key=' repeated", build: (n) => repeatTo('secret_access_key=', n) },
    { label: "'secret_access_key=' + spaces", build: (n) => 'secret_access_key=' + ' '.repeat(n) },
    { label: "'AKIA' repeated", build: (n) => repeatTo(' AKIA', n) },
    { label: "'SecretAccessKey: ' + 41-char runs", build: (n) => repeatTo('SecretAccessKey: ' + 'A'.repeat(41), n) },
  ],
  'github-token': [
    { label: "'ghp_' + alphanumerics then '_'", build: (n) => 'ghp_' + 'a'.repeat(n) + '_' },
    { label: "'-github_pat_' repeated then '-'", build: (n) => repeatTo('-github_pat_', n) + '-' },
    { label: "'-ghp_' + 35 alphanumerics, repeated", build: (n) => repeatTo('-ghp_' + 'a'.repeat(35), n) },
  ],
  'google-api-key': [
    { label: "'-ya29.' repeated", build: (n) => repeatTo('-ya29.', n) },
    { label: "'-AIza' repeated", build: (n) => repeatTo('-AIza', n) },
  ],
  'slack-token': [
    { label: "'xoxb-' repeated then '_'", build: (n) => repeatTo('xoxb-', n) + '_' },
    { label: "'xapp-1-' repeated then '_'", build: (n) => repeatTo('xapp-1-', n) + '_' },
    { label: "'https://hooks.slack.com/services/' repeated", build: (n) => repeatTo('https://hooks.slack.com/services/', n) },
  ],
  'bearer-token': [
    { label: "'bearer ' repeated", build: (n) => repeatTo('bearer ', n) },
    { label: "'Bearer' + whitespace", build: (n) => 'Bearer' + ' '.repeat(n) + '!' },
  ],
  jwt: [
    { label: "'x.eyJ ' + 'eyJaaaaaaaa-' repeated", build: (n) => 'x.eyJ ' + repeatTo('eyJaaaaaaaa-', n) },
    { label: "'eyJaaaaaaaa.eyJ' + 'aaaaaaaa-eyJ' repeated", build: (n) => 'eyJaaaaaaaa.eyJ' + repeatTo('aaaaaaaa-eyJ', n) },
    { label: "'.eyJaaaaaaaa' repeated", build: (n) => repeatTo('.eyJaaaaaaaa', n) + '!' },
  ],
  'private-key': [
    { label: "'-----BEGIN PRIVATE KEY-----!' repeated", build: (n) => repeatTo('-----BEGIN PRIVATE KEY-----!', n) },
    { label: "'-----BEGIN' + 'A' run, repeated", build: (n) => repeatTo('-----BEGIN' + 'A'.repeat(200), n) },
    {
      label: "'-----BEGIN PRIVATE KEY-----' + '-----END' repeated",
      build: (n) => '-----BEGIN PRIVATE KEY-----!' + repeatTo('-----END CERTIFICATE-----', n),
    },
  ],
  'card-number': [
    { label: 'a run of digits', build: (n) => '4'.repeat(n) },
    { label: "'4111 ' repeated", build: (n) => repeatTo('4111 ', n) },
    { label: "'4-' repeated", build: (n) => repeatTo('4-', n) },
  ],
  email: [
    { label: "'@' + 'a.' repeated", build: (n) => '@' + repeatTo('a.', n) },
    { label: "'a@' + 'a.' repeated + '1'", build: (n) => 'a@' + repeatTo('a.', n) + '1' },
    { label: "'a@a.' repeated", build: (n) => repeatTo('a@a.', n) },
  ],
};
