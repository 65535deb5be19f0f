using Xunit.Abstractions;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>`pipeline forward` under the faults of <see cref="ExactlyOnceFaultTests"/>: the output equals the input exactly.</summary>
public class ForwardExactlyOnceFaultTests(ITestOutputHelper testOutput)
    : ExactlyOnceFaultTests(testOutput, ScenarioJob.Forward, new RecordsPerPartition(KillRounds: 6000, Scaling: 3000, Zombie: 8000));
