/**
 * Where a worker thread's script is, for a module that starts one: the
 * script `<name>.js` beside the module when running from dist/, or, when
 * running from TypeScript sources (tsx, vitest), a small module that first
 * registers tsx and then imports `<name>.ts` (on Node 20 an `--import tsx` in
 * a worker's execArgv does not apply to the worker's own entry module).
 * Pass the result to `new Worker(script, { eval: fromSources(moduleUrl) })`.
 */
export function workerScript(moduleUrl: string, name: string): URL | string {
  if (!fromSources(moduleUrl)) return new URL(`./${name}.js`, moduleUrl);
  const script = new URL(`./${name}.ts`, moduleUrl).href;
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`;
}

/** The module runs from TypeScript sources: its worker script is given as code to evaluate. */
export function fromSources(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.ts');
}
