using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace StreamingPipeline.Benchmarks;

/// <summary>Runs <see cref="EventsSerializerBenchmarks"/> with allocations reported.</summary>
public static class EventsSerializerBenchmarkRunner
{
    /// <summary>Runs the benchmarks; extra arguments go to BenchmarkDotNet (e.g. <c>--filter *Parse*</c>).</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var config = ManualConfig.CreateMinimumViable()
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10));
        var summary = BenchmarkSwitcher.FromTypes([typeof(EventsSerializerBenchmarks), typeof(GeneratorStreamBenchmarks)]).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return Task.FromResult(summary.Any(s => s.HasCriticalValidationErrors) ? 1 : 0);
    }
}
