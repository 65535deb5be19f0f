using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Tests.Log;

/// <summary>A guard that answers from a script and records what the log told it.</summary>
internal sealed class RecordingAppendGuard : IBatchAppendGuard
{
    public Func<long, AppendGuardVerdict> Decide { get; set; } = _ => AppendGuardVerdict.Accept;

    public List<(long ProducerId, long OfferedBaseOffset)> Checked { get; } = [];

    public List<(long BaseOffset, long LastOffset, bool IsControl)> Appended { get; } = [];

    public int Rejections { get; private set; }

    public AppendGuardVerdict Check(in RecordBatchHeader batch, long baseOffset, AppendOrigin origin)
    {
        Checked.Add((batch.ProducerId, baseOffset));
        return Decide(batch.ProducerId);
    }

    public void OnAppended(in RecordBatchHeader batch, AppendOrigin origin) =>
        Appended.Add((batch.BaseOffset, batch.LastOffset, batch.IsControl));

    public void OnAppendRejected() => Rejections++;
}
