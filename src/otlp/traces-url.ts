/**
 * The URL spans are POSTed to for an OTLP/HTTP endpoint. A bare base
 * (`http://collector:4318`) gets OTLP's `/v1/traces`; a URL with a path is
 * used as given, so gateways with their own paths work. One rule for every
 * outbound path of Skein (in-process forwarding and the collector's outbox).
 */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/traces';
  return url.toString();
}
