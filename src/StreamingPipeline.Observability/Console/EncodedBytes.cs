using System.Text;

namespace StreamingPipeline.Observability.Console;

/// <summary>
/// Record bytes for the page: UTF-8 text when they are valid UTF-8, base64 otherwise, cut at a bound so one huge record
/// cannot make a response huge.
/// </summary>
/// <param name="Text">The bytes as text (or base64).</param>
/// <param name="Encoding"><c>utf8</c> or <c>base64</c>.</param>
/// <param name="Length">The full length in bytes.</param>
/// <param name="Truncated">True when only the first bytes are in <paramref name="Text"/>.</param>
internal sealed record EncodedBytes(string Text, string Encoding, int Length, bool Truncated)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes most of one record the page shows.</summary>
    public const int MaxBytes = 64 * 1024;

    public static EncodedBytes? From(byte[]? bytes, int maxBytes = MaxBytes)
    {
        if (bytes is null)
        {
            return null;
        }
        var shown = bytes.AsSpan(0, Math.Min(bytes.Length, maxBytes));
        try
        {
            return new EncodedBytes(StrictUtf8.GetString(shown), "utf8", bytes.Length, shown.Length < bytes.Length);
        }
        catch (DecoderFallbackException) when (shown.Length < bytes.Length)
        {
            // The cut may split a character: show the text up to the last whole one.
            for (var cut = 1; cut <= 3 && cut < shown.Length; cut++)
            {
                try
                {
                    return new EncodedBytes(StrictUtf8.GetString(shown[..^cut]), "utf8", bytes.Length, true);
                }
                catch (DecoderFallbackException)
                {
                }
            }
            return new EncodedBytes(Convert.ToBase64String(shown), "base64", bytes.Length, true);
        }
        catch (DecoderFallbackException)
        {
            return new EncodedBytes(Convert.ToBase64String(shown), "base64", bytes.Length, shown.Length < bytes.Length);
        }
    }
}
