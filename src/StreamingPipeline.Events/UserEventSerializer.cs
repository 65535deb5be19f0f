using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace StreamingPipeline.Events;

/// <summary>
/// Writes a <see cref="UserEvent"/> as the compact UTF-8 JSON of DESIGN.md, field order fixed, without allocating.
/// Hand-written rather than System.Text.Json because it is several times faster and allocation-free
/// (the figures are in docs/BENCHMARKS.md).
/// </summary>
public static class UserEventSerializer
{
    // Characters that can be copied as single ASCII bytes without JSON escaping.
    private static readonly SearchValues<char> PlainAscii = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private const int UuidLength = 36;
    private const int MaxInt64Digits = 20;

    /// <summary>An upper bound of the serialized size of <paramref name="userEvent"/>, for sizing a buffer.</summary>
    public static int GetMaxByteCount(in UserEvent userEvent)
    {
        // Worst case a UTF-16 char becomes a 6-byte \uXXXX escape.
        const int fixedPart = 90 + UuidLength + 11 + MaxInt64Digits;
        return fixedPart + (6 * (userEvent.UserId.Length + userEvent.Page.Length + userEvent.SessionId.Length));
    }

    /// <summary>Serializes into a new array of exactly the right length (allocates; for tests and tools).</summary>
    public static byte[] Serialize(in UserEvent userEvent)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(GetMaxByteCount(userEvent));
        try
        {
            var written = Write(userEvent, buffer);
            return buffer.AsSpan(0, written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Serializes into <paramref name="writer"/>; returns the number of bytes written.</summary>
    public static int Write(in UserEvent userEvent, IBufferWriter<byte> writer)
    {
        var span = writer.GetSpan(GetMaxByteCount(userEvent));
        var written = Write(userEvent, span);
        writer.Advance(written);
        return written;
    }

    /// <summary>
    /// Serializes into <paramref name="destination"/>, which must hold <see cref="GetMaxByteCount"/> bytes
    /// (or the exact size); returns the number of bytes written.
    /// </summary>
    public static int Write(in UserEvent userEvent, Span<byte> destination)
    {
        if (!TryWrite(userEvent, destination, out var written))
        {
            throw new ArgumentException("Destination is too small for the event.", nameof(destination));
        }
        return written;
    }

    /// <summary>Serializes into <paramref name="destination"/>; false when it is too small.</summary>
    public static bool TryWrite(in UserEvent userEvent, Span<byte> destination, out int bytesWritten)
    {
        var cursor = new SpanCursor(destination);
        var ok = cursor.Append("{\"eventId\":\""u8)
            && cursor.AppendUuid(userEvent.EventId)
            && cursor.Append("\",\"userId\":\""u8)
            && cursor.AppendEscaped(userEvent.UserId)
            && cursor.Append("\",\"eventType\":\""u8)
            && cursor.Append(EventTypes.Utf8Name(userEvent.EventType))
            && cursor.Append("\",\"page\":\""u8)
            && cursor.AppendEscaped(userEvent.Page)
            && cursor.Append("\",\"sessionId\":\""u8)
            && cursor.AppendEscaped(userEvent.SessionId)
            && cursor.Append("\",\"timestamp\":"u8)
            && cursor.AppendInt64(userEvent.Timestamp)
            && cursor.Append("}"u8);
        bytesWritten = ok ? cursor.Position : 0;
        return ok;
    }

    private ref struct SpanCursor(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public bool Append(scoped ReadOnlySpan<byte> bytes)
        {
            if (!bytes.TryCopyTo(_destination[Position..]))
            {
                return false;
            }
            Position += bytes.Length;
            return true;
        }

        public bool AppendUuid(Guid value)
        {
            // Guid formats as UTF-8 directly; "D" is the lowercase 8-4-4-4-12 form.
            if (!value.TryFormat(_destination[Position..], out var written, "D"))
            {
                return false;
            }
            Position += written;
            return true;
        }

        public bool AppendInt64(long value)
        {
            if (!Utf8Formatter.TryFormat(value, _destination[Position..], out var written))
            {
                return false;
            }
            Position += written;
            return true;
        }

        public bool AppendEscaped(string value)
        {
            var chars = value.AsSpan();
            var free = _destination[Position..];
            if (!chars.ContainsAnyExcept(PlainAscii))
            {
                // The common case: printable ASCII that needs no escaping, narrowed in one vectorized pass.
                if (free.Length < chars.Length)
                {
                    return false;
                }
                Ascii.FromUtf16(chars, free, out var narrowed);
                Position += narrowed;
                return true;
            }
            return AppendEscapedSlow(chars);
        }

        private bool AppendEscapedSlow(ReadOnlySpan<char> chars)
        {
            Span<byte> utf8 = stackalloc byte[4];
            while (!chars.IsEmpty)
            {
                // Invalid surrogates become U+FFFD so the output is always valid UTF-8.
                Rune.DecodeFromUtf16(chars, out var rune, out var consumed);
                chars = chars[consumed..];
                var free = _destination[Position..];
                switch (rune.Value)
                {
                    case '"':
                        if (!Append("\\\""u8))
                        {
                            return false;
                        }
                        break;
                    case '\\':
                        if (!Append("\\\\"u8))
                        {
                            return false;
                        }
                        break;
                    case < 0x20:
                        if (free.Length < 6)
                        {
                            return false;
                        }
                        "\\u00"u8.CopyTo(free);
                        free[4] = HexDigit(rune.Value >> 4);
                        free[5] = HexDigit(rune.Value & 0xF);
                        Position += 6;
                        break;
                    default:
                        var length = rune.EncodeToUtf8(utf8);
                        if (!Append(utf8[..length]))
                        {
                            return false;
                        }
                        break;
                }
            }
            return true;
        }

        private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'a' + value - 10);
    }
}
