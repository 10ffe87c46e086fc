/** The three OTLP signals, by the names their HTTP paths (`/v1/<signal>`) and the outbox use. */
export const OTLP_SIGNALS = ['traces', 'logs', 'metrics'] as const;
export type OtlpSignal = (typeof OTLP_SIGNALS)[number];
