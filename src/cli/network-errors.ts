// Node's network and TLS errors, classified (is another node worth trying?) and explained in words that
// tell the user what to change.

/** Codes of errors that mean "this node cannot be reached", which are worth trying another node for. */
export const unreachableCodes = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ECONNRESET',
  'ECONNECTTIMEOUT',
]);

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

export function describeNetworkError(error: unknown, host: string, scheme: string): string {
  const code = errorCode(error);
  if (
    code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' ||
    code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'
  ) {
    return `${host} requires a client certificate; give it with -d FILE -k FILE`;
  }
  if (code.startsWith('ERR_SSL_')) {
    const reason = (error as { reason?: unknown }).reason;
    return `TLS failed with ${host}: ${typeof reason === 'string' ? reason : code}`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host name of ${host}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return `${host} is unreachable`;
    case 'ECONNRESET':
      return scheme === 'http'
        ? `${host} closed the connection (if it serves HTTPS, use -s https)`
        : `${host} closed the connection`;
    case 'ECONNECTTIMEOUT':
      return `no connection to ${host} within the time limit`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the certificate of ${host} was not accepted (${code}); trust its CA with -c FILE, or skip the check with -i`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return `TLS failed with ${host}: is the scheme right (-s http or -s https)?`;
    default:
      return `request to ${host} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
