using System.Buffers;
using StreamingPipeline.Protocol;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The outcome of <see cref="PartitionLog.Read"/>: whole record batches in a buffer rented from the shared
/// <see cref="ArrayPool{T}"/>, plus the partition's offsets at the time of the read. Dispose it exactly once, after
/// the records were written to the network; do not copy it and dispose both copies.
/// </summary>
internal struct LogReadResult : IDisposable
{
    private byte[]? _buffer;

    internal LogReadResult(ErrorCode error, byte[]? buffer, int length, long highWatermark, long logStartOffset, long logEndOffset)
    {
        _buffer = buffer;
        Error = error;
        Records = buffer is null ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(buffer, 0, length);
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>None, OFFSET_OUT_OF_RANGE, or UNKNOWN_TOPIC_OR_PARTITION when the log was closed (topic deleted).</summary>
    public ErrorCode Error { get; }

    /// <summary>Whole v2 record batches as stored, empty when there is nothing to return.</summary>
    public ReadOnlyMemory<byte> Records { get; private set; }

    /// <summary>The high watermark when the read started.</summary>
    public long HighWatermark { get; }

    /// <summary>The log start offset when the read started.</summary>
    public long LogStartOffset { get; }

    /// <summary>The log end offset when the read started.</summary>
    public long LogEndOffset { get; }

    /// <summary>Returns the buffer to the pool; <see cref="Records"/> is empty afterwards.</summary>
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = null;
        Records = ReadOnlyMemory<byte>.Empty;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static LogReadResult Failed(ErrorCode error, long highWatermark, long logStartOffset, long logEndOffset) =>
        new(error, null, 0, highWatermark, logStartOffset, logEndOffset);
}
