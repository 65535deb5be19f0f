using System.Buffers.Binary;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

/// <summary>
/// A partition log reduced to what producer state needs: batches in memory with offsets assigned on append, the
/// produce path's order of calls (check, append, record), and replay from an offset.
/// </summary>
internal sealed class TestPartition
{
    private readonly List<byte[]> _batches = [];

    public long EndOffset { get; private set; }

    public IReadOnlyList<byte[]> Batches => _batches;

    public IEnumerable<ReadOnlyMemory<byte>> ReadFrom(long offset)
    {
        foreach (var batch in _batches)
        {
            if (new RecordBatchHeader(batch).LastOffset >= offset)
            {
                yield return batch;
            }
        }
    }

    /// <summary>
    /// Runs a batch through the append path; returns the verdict and, when stored, its base offset. The high
    /// watermark is not moved: tests call <see cref="ProducerStateManager.OnHighWatermarkUpdated"/> themselves.
    /// </summary>
    public (ProducerAppendCheck Check, long BaseOffset) Append(
        ProducerStateManager state, byte[] batch, AppendOrigin origin = AppendOrigin.Client)
    {
        var check = state.CheckAppend(ProducerBatch.Read(batch), origin);
        if (!check.ShouldAppend)
        {
            return (check, -1);
        }
        var stored = (byte[])batch.Clone();
        var baseOffset = EndOffset;
        BinaryPrimitives.WriteInt64BigEndian(stored, baseOffset);
        EndOffset = new RecordBatchHeader(stored).LastOffset + 1;
        _batches.Add(stored);
        state.RecordAppend(ProducerBatch.Read(stored));
        return (check, baseOffset);
    }

    /// <summary>Drops every batch from <paramref name="offset"/> on, as recovery does with a torn tail.</summary>
    public void TruncateTo(long offset)
    {
        _batches.RemoveAll(batch => new RecordBatchHeader(batch).BaseOffset >= offset);
        EndOffset = offset;
    }
}
