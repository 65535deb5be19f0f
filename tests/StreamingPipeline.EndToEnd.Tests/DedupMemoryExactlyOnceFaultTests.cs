using Xunit.Abstractions;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// `pipeline dedup --state memory` under the faults of <see cref="ExactlyOnceFaultTests"/>: the memory backend keeps
/// nothing across a task's rebuild, so every kill, rebalance and fenced zombie exercises the full rebuild from the
/// output (from the window's start, found by timestamp) rather than RocksDB's catch-up from a checkpoint.
/// </summary>
public class DedupMemoryExactlyOnceFaultTests(ITestOutputHelper testOutput)
    : ExactlyOnceFaultTests(testOutput, ScenarioJob.DedupMemory, new RecordsPerPartition(KillRounds: 4000, Scaling: 2000, Zombie: 6000));
