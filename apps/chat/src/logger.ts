/** Structured JSON logs (pino) on stdout. Secrets never reach a log line: cookies, passwords and
 * tokens are redacted wherever they appear. */
import { type Logger, pino } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    name: 'wsx-chat',
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'req.headers.cookie',
        'headers.cookie',
        'cookie',
      ],
      censor: '[redacted]',
    },
  });
}
