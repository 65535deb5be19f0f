namespace StreamingPipeline.Analytics.Query;

/// <summary>What a <see cref="SqlToken"/> is; comments and white space produce no token.</summary>
internal enum SqlTokenKind
{
    /// <summary>A bare word: a keyword or an unquoted identifier.</summary>
    Word,

    /// <summary>A double-quoted identifier; the token's text is its unescaped content.</summary>
    QuotedIdentifier,

    /// <summary>A string literal ('…', E'…' or $tag$…$tag$); the text is not interpreted.</summary>
    String,

    /// <summary>A numeric literal.</summary>
    Number,

    /// <summary>A parameter placeholder such as <c>$1</c> or <c>?</c>.</summary>
    Parameter,

    /// <summary>One punctuation or operator character.</summary>
    Symbol,
}
