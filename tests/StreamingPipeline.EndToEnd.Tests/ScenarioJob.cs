namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>Which `pipeline` job a <see cref="ProcessingScenario"/> runs.</summary>
public enum ScenarioJob
{
    /// <summary>`pipeline forward`: the output is the input.</summary>
    Forward,

    /// <summary>`pipeline dedup` on RocksDB state: the output is each valid event's first occurrence.</summary>
    Dedup,

    /// <summary>`pipeline dedup --state memory`: as <see cref="Dedup"/>, but every task rebuilds from the output when it starts.</summary>
    DedupMemory,
}
