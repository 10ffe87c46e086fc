import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // bench/.data/ is the benchmarks' local cache (git-ignored, like test-results/).
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'bench/.data/**', 'test/oracle/otlp/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The viewer's browser modules (plain ES2022, no build step): the browser globals they use.
    files: ['src/server/viewer/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'AbortController', 'CSS', 'CustomEvent', 'Event', 'EventListener', 'FormData', 'HTMLAnchorElement',
          'HTMLElement', 'HTMLDialogElement', 'HTMLInputElement', 'HTMLSelectElement', 'Element', 'Node',
          'TextDecoderStream', 'URL', 'URLSearchParams', 'clearInterval', 'clearTimeout', 'document', 'fetch',
          'history', 'location', 'requestAnimationFrame', 'sessionStorage', 'setInterval', 'setTimeout', 'window',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
