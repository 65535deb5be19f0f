namespace StreamingPipeline.Jobs;

/// <summary>Marks the jobs' assembly (the forward and dedup jobs arrive with the runtime issue).</summary>
public static class JobsAssembly;
