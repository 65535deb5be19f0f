using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Log;

/// <summary>A guard that answers from a script and records what the log told it.</summary>
internal sealed class RecordingAppendGuard : IBatchAppendGuard
{
    public Func<long, AppendGuardVerdict> Decide { get; set; } = _ => AppendGuardVerdict.Accept;

    public List<(long ProducerId, long OfferedBaseOffset)> Checked { get; } = [];

    public List<(long BaseOffset, long LastOffset, bool IsControl)> Appended { get; } = [];

    public int Rejections { get; private set; }

    public AppendGuardVerdict Check(ReadOnlySpan<byte> batch, long baseOffset, in AppendContext context)
    {
        var header = new RecordBatchHeader(batch);
        Checked.Add((header.ProducerId, baseOffset));
        return Decide(header.ProducerId);
    }

    public void OnAppended(ReadOnlySpan<byte> batch, AppendOrigin origin)
    {
        var header = new RecordBatchHeader(batch);
        Appended.Add((header.BaseOffset, header.LastOffset, header.IsControl));
    }

    public void OnAppendRejected() => Rejections++;

    public long OnHighWatermarkAdvanced(long highWatermark) => highWatermark;

    public void OnSegmentRolled()
    {
    }

    public void OnMaintenance(long logStartOffset)
    {
    }

    public void OnClose(bool clean)
    {
    }
}
