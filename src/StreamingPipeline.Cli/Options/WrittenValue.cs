namespace StreamingPipeline.Cli.Options;

/// <summary>
/// A parsed option value that remembers how it was written (<c>7d</c>, <c>1GiB</c>), so <c>--help</c> shows defaults
/// the way users write them instead of <c>7.00:00:00</c> or <c>1073741824</c>.
/// </summary>
public readonly record struct WrittenValue<T>(T Value, string Text)
{
    /// <summary>The value as written.</summary>
    public override string ToString() => Text;

    /// <summary>The parsed value.</summary>
    public static implicit operator T(WrittenValue<T> written) => written.Value;
}
