/** One challenge from a WWW-Authenticate header, e.g. Bearer realm="...",service="...". */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

/**
 * Parses a WWW-Authenticate header (RFC 7235): one or more challenges, each a
 * scheme and comma-separated key=value or key="quoted value" parameters.
 * Scheme names are lowercased; unparseable tails are ignored, not fatal.
 */
export function parseAuthChallenges(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < header.length && /[\s,]/.test(header[i]!)) i++;
  };
  const readToken = (): string | undefined => {
    TOKEN.lastIndex = i;
    const match = TOKEN.exec(header);
    if (!match) return undefined;
    i = TOKEN.lastIndex;
    return match[0];
  };
  const readQuoted = (): string => {
    let value = '';
    i++; // opening quote
    while (i < header.length && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < header.length) i++;
      value += header[i];
      i++;
    }
    i++; // closing quote
    return value;
  };

  while (i < header.length) {
    skipSpace();
    const scheme = readToken();
    if (!scheme) break;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      while (i < header.length && /\s/.test(header[i]!)) i++;
      const start = i;
      const key = readToken();
      if (!key) break;
      while (i < header.length && header[i] === ' ') i++;
      if (header[i] !== '=') {
        // Not a parameter: the next challenge's scheme starts here.
        i = start;
        break;
      }
      i++;
      while (i < header.length && header[i] === ' ') i++;
      challenge.params[key.toLowerCase()] = header[i] === '"' ? readQuoted() : (readToken() ?? '');
      while (i < header.length && header[i] === ' ') i++;
      if (header[i] === ',') i++;
    }
  }
  return challenges;
}
