using System.Buffers;
using System.Buffers.Binary;
using Npgsql;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Events;

namespace StreamingPipeline.Analytics.Stores;

/// <summary>
/// Copies a batch's rows into a <c>user_events</c>-shaped table as PostgreSQL's binary COPY stream, encoded here
/// from the batch's UTF-8 arena: the strings go out as they came in, with no .NET string and no per-value call into
/// Npgsql's type handlers. A constraint violation surfaces as Npgsql's <see cref="PostgresException"/>, as with its importer.
/// </summary>
internal static class PostgresRowCopy
{
    /// <summary>The columns in the order of each row.</summary>
    public const string Columns = "eventid, userid, eventtype, page, sessionid, \"timestamp\", kafkapartition, kafkaoffset";

    // Always holds a whole row: the parser bounds a row's strings (UserEventLimits) to a few KiB.
    private const int BufferBytes = 64 * 1024;
    private const short FieldCount = 8;

    // PostgreSQL's timestamptz counts microseconds from 2000-01-01 UTC.
    private const long PostgresEpochUnixMs = 946_684_800_000;

    // The fixed part of a row: field count, eight lengths, uuid, timestamptz, integer and bigint values.
    private const int FixedRowBytes = 2 + (8 * 4) + 16 + 8 + 4 + 8;

    // "PGCOPY\n\377\r\n\0": the 0xFF byte is why this is not a u8 string literal (which would encode U+00FF as two bytes).
    private static ReadOnlySpan<byte> Signature => [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    /// <summary>Copies <paramref name="batch"/>'s rows into <paramref name="table"/> in the connection's open transaction.</summary>
    public static async Task CopyAsync(NpgsqlConnection connection, string table, IngestBatch batch, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            var stream = await connection.BeginRawBinaryCopyAsync($"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var next = 0;
                var length = WriteHeader(buffer);
                while (true)
                {
                    length += WriteRows(batch, ref next, buffer.AsSpan(length));
                    if (next == batch.EventCount && buffer.Length - length >= 2)
                    {
                        BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(length), -1);
                        await stream.WriteAsync(buffer.AsMemory(0, length + 2), cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    await stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                    length = 0;
                }
                // Disposing the stream ends the COPY; a rejected row throws from there.
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int WriteHeader(Span<byte> buffer)
    {
        Signature.CopyTo(buffer);
        // Flags (no OIDs) and the length of the header extension area, both zero.
        BinaryPrimitives.WriteInt32BigEndian(buffer[Signature.Length..], 0);
        BinaryPrimitives.WriteInt32BigEndian(buffer[(Signature.Length + 4)..], 0);
        return Signature.Length + 8;
    }

    /// <summary>Encodes rows from <paramref name="next"/> on while they fit in <paramref name="buffer"/>; returns the bytes written.</summary>
    private static int WriteRows(IngestBatch batch, ref int next, Span<byte> buffer)
    {
        var rows = batch.Events;
        var position = 0;
        for (; next < rows.Length; next++)
        {
            ref readonly var row = ref rows[next];
            var userId = batch.UserId(row);
            var eventType = EventTypes.Utf8Name(row.EventType);
            var page = batch.Page(row);
            var sessionId = batch.SessionId(row);
            if (FixedRowBytes + userId.Length + eventType.Length + page.Length + sessionId.Length > buffer.Length - position)
            {
                break;
            }
            var span = buffer[position..];
            BinaryPrimitives.WriteInt16BigEndian(span, FieldCount);
            var at = 2;
            BinaryPrimitives.WriteInt32BigEndian(span[at..], 16);
            row.EventId.TryWriteBytes(span[(at + 4)..], bigEndian: true, out _);
            at += 4 + 16;
            at += WriteText(span[at..], userId);
            at += WriteText(span[at..], eventType);
            at += WriteText(span[at..], page);
            at += WriteText(span[at..], sessionId);
            BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
            BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], (row.Timestamp - PostgresEpochUnixMs) * 1000);
            at += 4 + 8;
            BinaryPrimitives.WriteInt32BigEndian(span[at..], 4);
            BinaryPrimitives.WriteInt32BigEndian(span[(at + 4)..], row.Partition);
            at += 4 + 4;
            BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
            BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], row.Offset);
            at += 4 + 8;
            position += at;
        }
        return position;
    }

    private static int WriteText(Span<byte> destination, ReadOnlySpan<byte> utf8)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, utf8.Length);
        utf8.CopyTo(destination[4..]);
        return 4 + utf8.Length;
    }
}
