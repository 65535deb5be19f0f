using Xunit.Abstractions;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// `pipeline dedup` (RocksDB state) under the faults of <see cref="ExactlyOnceFaultTests"/>, on a seeded generator
/// stream with re-sends and malformed records: the output is each valid event exactly once, in input order per
/// partition, and the DLQ exactly the malformed records.
/// </summary>
public class DedupExactlyOnceFaultTests(ITestOutputHelper testOutput)
    : ExactlyOnceFaultTests(testOutput, ScenarioJob.Dedup, new RecordsPerPartition(KillRounds: 4000, Scaling: 2000, Zombie: 6000));
