// Literal strings one of which every match of a RegExp must contain, read from its source, so that a cheap
// search for them can clear a whole piece of console text before the RegExp itself runs on any line.
// Conservative: whatever it does not understand (back-references, \x/\u escapes, flags that change what a
// literal means) gives undefined, and the caller tests with the RegExp as before.

/** The shortest literal worth searching for: one- or two-character literals would hit nearly every line. */
const minLiteralChars = 3;

/**
 * One required literal per top-level alternative (the longest run of plain characters that every match of
 * that alternative contains), or undefined when some alternative has none of at least `minLiteralChars`.
 */
export function requiredLiterals(regexp: RegExp): string[] | undefined {
  if (/[iuv]/.test(regexp.flags)) return undefined;
  const source = regexp.source;
  const literals: string[] = [];
  let best = '';
  let run = '';
  /** The last token was a plain character (a quantifier after it makes it optional). */
  let lastWasLiteral = false;
  const endRun = () => {
    if (run.length > best.length) best = run;
    run = '';
    lastWasLiteral = false;
  };
  const endBranch = (): boolean => {
    endRun();
    if (best.length < minLiteralChars) return false;
    literals.push(best);
    best = '';
    return true;
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) return undefined;
      if (/[A-Za-z0-9]/.test(next)) {
        // Character classes and assertions (\d, \b, ...) end the run; escapes with a payload (\x41, \u0041,
        // \cJ, \k<name>, \p{L}) and back-references are not read here.
        if (!/[dDwWsSbBnrtfv]/.test(next)) return undefined;
        endRun();
      } else {
        run += next;
        lastWasLiteral = true;
      }
      i += 2;
    } else if (c === '[') {
      endRun();
      i = skipClass(source, i);
      if (i < 0) return undefined;
    } else if (c === '(') {
      endRun();
      i = skipGroup(source, i);
      if (i < 0) return undefined;
    } else if (c === '?' || c === '*' || c === '+' || c === '{') {
      // The character before is optional or repeated: it leaves the run (keeping it is never needed for
      // soundness, only for a longer literal).
      if (lastWasLiteral) run = run.slice(0, -1);
      endRun();
      if (c === '{') {
        const quantifier = /^\{\d+(?:,\d*)?\}/.exec(source.slice(i));
        if (!quantifier) return undefined;
        i += quantifier[0].length;
      } else {
        i++;
      }
    } else if (c === '|') {
      if (!endBranch()) return undefined;
      i++;
    } else if (c === '.' || c === '^' || c === '$') {
      endRun();
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      // Unbalanced at the top level: not a source this reader understands.
      return undefined;
    } else {
      run += c;
      lastWasLiteral = true;
      i++;
    }
  }
  return endBranch() ? literals : undefined;
}

/** Index just past the `]` closing the class opened at `from`, or -1. */
function skipClass(source: string, from: number): number {
  for (let i = from + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i + 1;
  }
  return -1;
}

/** Index just past the `)` closing the group opened at `from`, or -1. */
function skipGroup(source: string, from: number): number {
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      i = skipClass(source, i) - 1;
      if (i < 0) return -1;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
