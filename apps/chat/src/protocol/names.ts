/**
 * Rules for user and room names: any script (Chinese, emoji, ...), normalised to NFC, with
 * length limits and no control characters. Pure functions, shared by the HTTP API and the
 * WebSocket protocol.
 */

export interface NameRules {
  readonly min: number;
  readonly max: number;
}

/** User names: short enough to show beside every message. */
export const USER_NAME: NameRules = { min: 2, max: 32 };
/** Room names: a few words. */
export const ROOM_NAME: NameRules = { min: 1, max: 64 };

/** The result of checking a name: the normalised name, or why it was refused. */
export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

/**
 * Characters refused anywhere in a name: controls (Cc), format characters (Cf) except the
 * zero-width joiner that emoji sequences need, surrogates, private use, unassigned, and line or
 * paragraph separators. Bidirectional overrides (Cf) are refused, so a name cannot reorder the
 * text around it.
 */
const FORBIDDEN = /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?!\u200d)\p{Cf}/u;

/** Checks a name against `rules` and returns it in NFC, the form it is stored and compared in. */
export function checkName(input: unknown, rules: NameRules): NameCheck {
  if (typeof input !== 'string') return { ok: false, reason: 'must be a string' };
  const name = input.normalize('NFC');
  if (name !== name.trim()) return { ok: false, reason: 'must not start or end with a space' };
  if (FORBIDDEN.test(name)) return { ok: false, reason: 'must not contain control characters' };
  // Length in code points, so an emoji counts as one, not two UTF-16 units.
  const length = [...name].length;
  if (length < rules.min) return { ok: false, reason: `must be at least ${rules.min} characters` };
  if (length > rules.max) return { ok: false, reason: `must be at most ${rules.max} characters` };
  return { ok: true, name };
}

/** The key two names are compared by: 'Alice' and 'alice' are the same user or room. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * Checks message text: a non-empty string of at most `maxLength` code points, NFC-normalised.
 * Newlines and tabs are allowed (Shift+Enter); other control characters are not.
 */
export function checkMessageText(input: unknown, maxLength: number): NameCheck {
  if (typeof input !== 'string') return { ok: false, reason: 'text must be a string' };
  if (input.length > maxLength * 2) return { ok: false, reason: 'text is too long' };
  const text = input.normalize('NFC');
  if (text.trim() === '') return { ok: false, reason: 'text must not be empty' };
  if (/[\p{Cs}]|(?![\n\t])\p{Cc}/u.test(text))
    return { ok: false, reason: 'text must not contain control characters' };
  if (countCodePoints(text) > maxLength)
    return { ok: false, reason: `text must be at most ${maxLength} characters` };
  return { ok: true, name: text };
}

function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) i++;
    count++;
  }
  return count;
}
