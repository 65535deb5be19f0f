namespace StreamingPipeline.Analytics.Query;

/// <summary>One lexical token of a SQL text and where it starts.</summary>
internal readonly record struct SqlToken(SqlTokenKind Kind, string Text, int Position)
{
    /// <summary>Whether this is the bare word <paramref name="word"/>, compared case-insensitively.</summary>
    public bool IsWord(string word) => Kind == SqlTokenKind.Word && string.Equals(Text, word, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether this is the punctuation character <paramref name="symbol"/>.</summary>
    public bool IsSymbol(char symbol) => Kind == SqlTokenKind.Symbol && Text.Length == 1 && Text[0] == symbol;
}
