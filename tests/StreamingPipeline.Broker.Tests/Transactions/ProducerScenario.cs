using System.Text;
using StreamingPipeline.Broker.Log;
using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

/// <summary>
/// Drives a partition with a seeded random mix of plain, idempotent and transactional producers, commits, aborts
/// and fencing aborts, always through the real append path, so tests can compare states built different ways.
/// </summary>
internal sealed class ProducerScenario(int seed, int producers = 4)
{
    private readonly Random _random = new(seed);
    private readonly Dictionary<long, (short Epoch, int NextSequence, bool InTransaction)> _producers =
        Enumerable.Range(1, producers).ToDictionary(id => (long)id, _ => ((short)0, 0, false));

    public void Run(TestPartition log, ProducerStateManager state, int steps)
    {
        for (var step = 0; step < steps; step++)
        {
            var producerId = (long)_random.Next(1, _producers.Count + 1);
            var (epoch, sequence, inTransaction) = _producers[producerId];
            var roll = _random.Next(100);
            if (roll < 10)
            {
                Append(log, state, RecordBatchBuilder.HeaderOnly(recordCount: _random.Next(1, 4)), AppendOrigin.Client);
            }
            else if (inTransaction && roll < 25)
            {
                var commit = _random.Next(2) == 0;
                Append(log, state, RecordBatchBuilder.Marker(producerId, epoch, commit), AppendOrigin.Coordinator);
                _producers[producerId] = (epoch, sequence, false);
            }
            else if (inTransaction && roll < 30)
            {
                // The coordinator fences: abort with a bumped epoch, and the producer starts over.
                var fenced = (short)(epoch + 1);
                Append(log, state, RecordBatchBuilder.Marker(producerId, fenced, commit: false), AppendOrigin.Coordinator);
                _producers[producerId] = ((short)(fenced + 1), 0, false);
            }
            else
            {
                var transactional = inTransaction || (producerId % 2 == 0 && roll < 70);
                var records = _random.Next(1, 5);
                Append(log, state, RecordBatchBuilder.HeaderOnly(producerId, epoch, sequence, records, transactional, timestamp: step), AppendOrigin.Client);
                _producers[producerId] = (epoch, sequence + records, transactional);
            }
        }
    }

    private static void Append(TestPartition log, ProducerStateManager state, byte[] batch, AppendOrigin origin)
    {
        var (check, _) = log.Append(state, batch, origin);
        Assert.True(check.ShouldAppend, $"the scenario only sends valid batches, got {check.Error}");
    }

    /// <summary>Everything producer state knows except wall-clock times, for comparing two instances.</summary>
    public static string Describe(ProducerStateManager state, long highWatermark)
    {
        state.OnHighWatermarkUpdated(highWatermark);
        var text = new StringBuilder();
        foreach (var producer in state.Producers.OrderBy(p => p.ProducerId))
        {
            text.Append($"producer {producer.ProducerId} epoch {producer.ProducerEpoch} coordinator {producer.CoordinatorEpoch} txn {producer.CurrentTxnFirstOffset}:");
            for (var i = 0; i < producer.BatchCount; i++)
            {
                text.Append(' ').Append(producer.Batch(i));
            }
            text.AppendLine();
        }
        text.AppendLine($"end {state.MapEndOffset} lso {state.LastStableOffset(highWatermark)} unstable {state.FirstUnstableOffset}");
        foreach (var aborted in state.AbortedTransactions.GetAbortedTransactions(0, long.MaxValue))
        {
            text.AppendLine(aborted.ToString());
        }
        return text.ToString();
    }
}
