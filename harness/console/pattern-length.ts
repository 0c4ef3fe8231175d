// The longest text (in UTF-16 units) a RegExp can match, read from its source, so a continuing search
// only has to look that far back before the new text instead of the whole look-back window. Undefined
// when there is no bound, or when the match may depend on text the bound does not cover: a start
// anchor without the `m` flag (it sees the window's start), lookarounds, back-references, the `v` flag.

export function maxMatchLength(regexp: RegExp): number | undefined {
  const flags = regexp.flags;
  if (flags.includes('v')) return undefined;
  const parser = new LengthParser(regexp.source, flags.includes('u'), flags.includes('m'));
  try {
    const length = parser.alternation();
    return parser.atEnd() && Number.isFinite(length) ? length : undefined;
  } catch (error) {
    if (error instanceof Unbounded) return undefined;
    throw error;
  }
}

class Unbounded extends Error {}

class LengthParser {
  private at = 0;

  constructor(
    private readonly source: string,
    private readonly unicode: boolean,
    private readonly multiline: boolean,
  ) {}

  atEnd(): boolean {
    return this.at >= this.source.length;
  }

  /** branch ('|' branch)*: the longest branch. */
  alternation(): number {
    let longest = this.sequence();
    while (this.source[this.at] === '|') {
      this.at++;
      longest = Math.max(longest, this.sequence());
    }
    return longest;
  }

  private sequence(): number {
    let total = 0;
    while (this.at < this.source.length && this.source[this.at] !== '|' && this.source[this.at] !== ')') {
      total += this.quantified(this.atom());
    }
    return total;
  }

  /** One character class or code point: a surrogate pair under `u`. */
  private get unit(): number {
    return this.unicode ? 2 : 1;
  }

  private atom(): number {
    const source = this.source;
    const c = source[this.at++]!;
    switch (c) {
      case '^':
        if (!this.multiline) throw new Unbounded();
        return 0;
      case '$':
        return 0;
      case '.':
        return this.unit;
      case '[':
        this.skipClass();
        return this.unit;
      case '(':
        return this.group();
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
      case '{':
        // A quantifier with nothing before it: leave such sources to the full search.
        throw new Unbounded();
      default: {
        const code = c.charCodeAt(0);
        // A surrogate pair written literally is two units in any mode.
        if (code >= 0xd800 && code <= 0xdbff) this.at++;
        return code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      }
    }
  }

  private group(): number {
    const source = this.source;
    if (source[this.at] === '?') {
      const kind = source[this.at + 1];
      if (kind === ':') this.at += 2;
      else if (kind === '<' && source[this.at + 2] !== '=' && source[this.at + 2] !== '!') {
        const close = source.indexOf('>', this.at);
        if (close === -1) throw new Unbounded();
        this.at = close + 1;
      } else {
        // Lookahead and lookbehind read past the match's own text; modifiers groups are new syntax.
        throw new Unbounded();
      }
    }
    const length = this.alternation();
    if (source[this.at] !== ')') throw new Unbounded();
    this.at++;
    return length;
  }

  private escape(): number {
    const source = this.source;
    const c = source[this.at++];
    if (c === undefined) throw new Unbounded();
    if (c === 'b' || c === 'B') return 0;
    if (c === 'k' || (c >= '1' && c <= '9')) throw new Unbounded();
    if (c === 'p' || c === 'P') {
      if (source[this.at] === '{') this.at = source.indexOf('}', this.at) + 1;
      return this.unit;
    }
    if (c === 'u') {
      if (source[this.at] === '{') {
        this.at = source.indexOf('}', this.at) + 1;
        return 2;
      }
      this.at += 4;
      return 1;
    }
    if (c === 'x') this.at += 2;
    else if (c === 'c') this.at += 1;
    return c === 'd' || c === 'D' || c === 'w' || c === 'W' || c === 's' || c === 'S' ? this.unit : 1;
  }

  private skipClass(): void {
    const source = this.source;
    // `[]` and `[^]` are valid: the first `]` closes only after at least one position.
    if (source[this.at] === '^') this.at++;
    while (this.at < source.length) {
      const c = source[this.at++];
      if (c === '\\') this.at++;
      else if (c === ']') return;
    }
    throw new Unbounded();
  }

  private quantified(length: number): number {
    const source = this.source;
    const c = source[this.at];
    let factor = 1;
    if (c === '*' || c === '+') {
      throw new Unbounded();
    } else if (c === '?') {
      this.at++;
    } else if (c === '{') {
      const quantifier = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(this.at));
      if (!quantifier) {
        // Outside `u` mode a `{` that is no quantifier is a literal brace.
        if (this.unicode) throw new Unbounded();
        return length;
      }
      if (quantifier[2] !== undefined && quantifier[3] === '') throw new Unbounded();
      factor = Number(quantifier[3] ?? quantifier[1]);
      this.at += quantifier[0].length;
    } else {
      return length;
    }
    if (source[this.at] === '?') this.at++;
    return length * factor;
  }
}
