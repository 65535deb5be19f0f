namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Splits SQL into tokens the way both DuckDB and PostgreSQL read it, so the validator judges what the database will
/// execute: comments are dropped, string literals and quoted identifiers are single tokens. Where the two dialects
/// could disagree (a block comment opened inside another, which PostgreSQL nests and DuckDB may not), the text is
/// refused rather than guessed.
/// </summary>
internal static class SqlTokenizer
{
    /// <summary>Tokenizes <paramref name="sql"/>; returns false with a one-line reason when it cannot be read safely.</summary>
    public static bool TryTokenize(string sql, out List<SqlToken> tokens, out string? error)
    {
        ArgumentNullException.ThrowIfNull(sql);
        tokens = [];
        error = null;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && At(sql, i + 1, '-'))
            {
                while (i < sql.Length && sql[i] != '\n' && sql[i] != '\r')
                {
                    i++;
                }
            }
            else if (c == '/' && At(sql, i + 1, '*'))
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    error = $"unterminated comment at position {i}";
                    return false;
                }
                if (sql.IndexOf("/*", i + 2, end - i - 2, StringComparison.Ordinal) >= 0)
                {
                    error = $"nested comments are not accepted (position {i})";
                    return false;
                }
                i = end + 2;
            }
            else if (c == '\'')
            {
                var start = i;
                if (!TryReadQuoted(sql, ref i, '\'', backslashEscapes: PrecededByEscapePrefix(tokens, sql, i), out var content))
                {
                    error = $"unterminated string at position {start}";
                    return false;
                }
                tokens.Add(new SqlToken(SqlTokenKind.String, content, start));
            }
            else if (c == '"')
            {
                var start = i;
                if (!TryReadQuoted(sql, ref i, '"', backslashEscapes: false, out var content))
                {
                    error = $"unterminated quoted identifier at position {start}";
                    return false;
                }
                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, content, start));
            }
            else if (c == '$')
            {
                var start = i;
                var tagEnd = i + 1;
                while (tagEnd < sql.Length && IsIdentifierPart(sql[tagEnd]) && sql[tagEnd] != '$')
                {
                    tagEnd++;
                }
                var tagIsName = tagEnd == i + 1 || !char.IsAsciiDigit(sql[i + 1]);
                if (tagIsName && At(sql, tagEnd, '$'))
                {
                    var tag = sql[i..(tagEnd + 1)];
                    var close = sql.IndexOf(tag, tagEnd + 1, StringComparison.Ordinal);
                    if (close < 0)
                    {
                        error = $"unterminated dollar-quoted string at position {start}";
                        return false;
                    }
                    i = close + tag.Length;
                    tokens.Add(new SqlToken(SqlTokenKind.String, "", start));
                }
                else
                {
                    i = tagEnd;
                    tokens.Add(new SqlToken(SqlTokenKind.Parameter, sql[start..i], start));
                }
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1])))
            {
                var start = i;
                while (i < sql.Length && (char.IsAsciiLetterOrDigit(sql[i]) || sql[i] == '.' || sql[i] == '_'
                    || ((sql[i] == '+' || sql[i] == '-') && (sql[i - 1] == 'e' || sql[i - 1] == 'E'))))
                {
                    i++;
                }
                tokens.Add(new SqlToken(SqlTokenKind.Number, sql[start..i], start));
            }
            else if (IsIdentifierStart(c))
            {
                var start = i;
                while (i < sql.Length && IsIdentifierPart(sql[i]))
                {
                    i++;
                }
                tokens.Add(new SqlToken(SqlTokenKind.Word, sql[start..i], start));
            }
            else if (c == '?')
            {
                tokens.Add(new SqlToken(SqlTokenKind.Parameter, "?", i));
                i++;
            }
            else
            {
                tokens.Add(new SqlToken(SqlTokenKind.Symbol, c.ToString(), i));
                i++;
            }
        }
        return true;
    }

    private static bool At(string sql, int index, char expected) => index < sql.Length && sql[index] == expected;

    private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_';

    private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '$';

    /// <summary>E'…' (PostgreSQL and DuckDB escape strings) reads backslash escapes, so <c>\'</c> does not end it.</summary>
    private static bool PrecededByEscapePrefix(List<SqlToken> tokens, string sql, int quote) =>
        tokens.Count > 0
        && tokens[^1].Kind == SqlTokenKind.Word
        && tokens[^1].Position + tokens[^1].Text.Length == quote
        && tokens[^1].Text.EndsWith("e", StringComparison.OrdinalIgnoreCase)
        && tokens[^1].Text.Length == 1
        && sql[quote] == '\'';

    /// <summary>Reads a literal quoted with <paramref name="quote"/> (doubled to escape) starting at <paramref name="i"/>.</summary>
    private static bool TryReadQuoted(string sql, ref int i, char quote, bool backslashEscapes, out string content)
    {
        var builder = new System.Text.StringBuilder();
        var j = i + 1;
        while (j < sql.Length)
        {
            var c = sql[j];
            if (backslashEscapes && c == '\\')
            {
                if (j + 1 < sql.Length)
                {
                    builder.Append(sql[j + 1]);
                }
                j += 2;
                continue;
            }
            if (c == quote)
            {
                if (At(sql, j + 1, quote))
                {
                    builder.Append(quote);
                    j += 2;
                    continue;
                }
                i = j + 1;
                content = builder.ToString();
                return true;
            }
            builder.Append(c);
            j++;
        }
        content = "";
        return false;
    }
}
