using System.Buffers.Binary;
using DuckDB.NET.Data;
using DuckDB.NET.Native;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Events;
using DuckDBAppender = DuckDB.NET.Native.DuckDBAppender;

namespace StreamingPipeline.Analytics.Stores;

/// <summary>
/// Appends a batch's rows to a <c>user_events</c>-shaped table through DuckDB's C appender API, one data chunk of
/// vectors at a time, writing each value in DuckDB's own layout: strings straight from the batch's UTF-8 arena (no .NET
/// string, no re-encoding), UUIDs as DuckDB's hugeint, timestamps as microseconds. The typed appender of DuckDB.NET
/// costs a managed call chain and a UTF-8 encoding per string value; this is a handful of native calls per row.
/// </summary>
internal static unsafe class DuckDbRowAppender
{
    private static readonly DuckDBType[] ColumnTypes =
    [
        DuckDBType.Uuid, DuckDBType.Varchar, DuckDBType.Varchar, DuckDBType.Varchar, DuckDBType.Varchar,
        DuckDBType.Timestamp, DuckDBType.Integer, DuckDBType.BigInt,
    ];

    /// <summary>
    /// Appends every row of <paramref name="batch"/> to <paramref name="table"/> in the connection's open transaction.
    /// False when a constraint rejected them (an eventId already stored): the transaction is then void. Other failures throw.
    /// </summary>
    public static bool TryAppend(DuckDBConnection connection, string table, IngestBatch batch)
    {
        if (NativeMethods.Appender.DuckDBAppenderCreate(connection.NativeConnection, null, table, out var appender) == DuckDBState.Error)
        {
            using (appender)
            {
                throw Failure(appender, table);
            }
        }
        using (appender)
        {
            var chunk = CreateChunk(appender, table);
            using (chunk)
            {
                var capacity = (int)NativeMethods.Helpers.DuckDBVectorSize();
                var rows = batch.Events;
                for (var start = 0; start < rows.Length; start += capacity)
                {
                    var count = Math.Min(capacity, rows.Length - start);
                    Fill(chunk, batch, rows.Slice(start, count));
                    NativeMethods.DataChunks.DuckDBDataChunkSetSize(chunk, (ulong)count);
                    if (NativeMethods.Appender.DuckDBAppendDataChunk(appender, chunk) == DuckDBState.Error)
                    {
                        return IsConstraint(appender) ? false : throw Failure(appender, table);
                    }
                    NativeMethods.DataChunks.DuckDBDataChunkReset(chunk);
                }
            }
            if (NativeMethods.Appender.DuckDBAppenderClose(appender) == DuckDBState.Error)
            {
                return IsConstraint(appender) ? false : throw Failure(appender, table);
            }
            return true;
        }
    }

    /// <summary>DuckDB's UUID: the 128-bit big-endian value of the UUID as a hugeint, its top bit flipped (so signed order is UUID order).</summary>
    internal static (ulong Lower, long Upper) UuidHugeInt(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return (BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), BinaryPrimitives.ReadInt64BigEndian(bytes) ^ long.MinValue);
    }

    private static DuckDBDataChunk CreateChunk(DuckDBAppender appender, string table)
    {
        var count = (int)NativeMethods.Appender.DuckDBAppenderColumnCount(appender);
        if (count != ColumnTypes.Length)
        {
            throw new InvalidOperationException($"{table} has {count} columns; the ingester writes {ColumnTypes.Length}.");
        }
        var types = new DuckDBLogicalType[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                types[i] = NativeMethods.Appender.DuckDBAppenderColumnType(appender, (ulong)i);
                var type = NativeMethods.LogicalType.DuckDBGetTypeId(types[i]);
                if (type != ColumnTypes[i])
                {
                    throw new InvalidOperationException($"column {i} of {table} is {type}; the ingester writes {ColumnTypes[i]}.");
                }
            }
            return NativeMethods.DataChunks.DuckDBCreateDataChunk(types.Select(t => t.DangerousGetHandle()).ToArray(), (ulong)count);
        }
        finally
        {
            foreach (var type in types)
            {
                type?.Dispose();
            }
        }
    }

    private static void Fill(DuckDBDataChunk chunk, IngestBatch batch, ReadOnlySpan<IngestRow> rows)
    {
        var eventIds = (ulong*)Data(chunk, 0);
        var userIds = Vector(chunk, 1);
        var eventTypes = Vector(chunk, 2);
        var pages = Vector(chunk, 3);
        var sessionIds = Vector(chunk, 4);
        var timestamps = (long*)Data(chunk, 5);
        var partitions = (int*)Data(chunk, 6);
        var offsets = (long*)Data(chunk, 7);
        for (var i = 0; i < rows.Length; i++)
        {
            ref readonly var row = ref rows[i];
            var (lower, upper) = UuidHugeInt(row.EventId);
            eventIds[2 * i] = lower;
            eventIds[(2 * i) + 1] = (ulong)upper;
            // The batch holds UTF-8 the parser validated: DuckDB need not check it again.
            SetString(userIds, i, batch.UserId(row));
            SetString(eventTypes, i, EventTypes.Utf8Name(row.EventType));
            SetString(pages, i, batch.Page(row));
            SetString(sessionIds, i, batch.SessionId(row));
            timestamps[i] = row.Timestamp * 1000;
            partitions[i] = row.Partition;
            offsets[i] = row.Offset;
        }
    }

    private static void SetString(IntPtr vector, int index, ReadOnlySpan<byte> utf8)
    {
        fixed (byte* bytes = utf8)
        {
            NativeMethods.Vectors.DuckDBUnsafeVectorAssignStringElementLength(vector, (ulong)index, bytes, utf8.Length);
        }
    }

    private static IntPtr Vector(DuckDBDataChunk chunk, int column) => NativeMethods.DataChunks.DuckDBDataChunkGetVector(chunk, column);

    private static void* Data(DuckDBDataChunk chunk, int column) => NativeMethods.Vectors.DuckDBVectorGetData(Vector(chunk, column));

    private static bool IsConstraint(DuckDBAppender appender)
    {
        using var error = NativeMethods.Appender.DuckDBAppenderErrorData(appender);
        return NativeMethods.ErrorData.DuckDBErrorDataErrorType(error) == DuckDBErrorType.Constraint;
    }

    private static InvalidOperationException Failure(DuckDBAppender appender, string table)
    {
        using var error = NativeMethods.Appender.DuckDBAppenderErrorData(appender);
        return new InvalidOperationException($"appending to {table} failed: {error.Message}");
    }
}
