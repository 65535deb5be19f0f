using BenchmarkDotNet.Attributes;
using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Benchmarks;

/// <summary>The generator's own cost per record, without Kafka: what it adds on top of the producer.</summary>
[MemoryDiagnoser]
public class GeneratorStreamBenchmarks
{
    private const int Records = 4096;
    private EventStreamGenerator _generator = null!;

    /// <summary>The share of re-sends (their pending queue is part of the cost).</summary>
    [Params(0.0, 0.05)]
    public double DuplicateShare { get; set; }

    /// <summary>A generator with the CLI's realistic shares.</summary>
    [GlobalSetup]
    public void Setup() => _generator = new EventStreamGenerator(
        new GeneratorOptions { Seed = 1, EventTimeStart = 1_764_000_000_000, Users = 100_000, DuplicateShare = DuplicateShare, MalformedShare = 0.001 },
        8);

    /// <summary>Generates and serializes records.</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public long NextRecord()
    {
        long total = 0;
        for (var i = 0; i < Records; i++)
        {
            _generator.TryNext(out var record);
            total += record.Value.Length;
        }
        return total;
    }
}
