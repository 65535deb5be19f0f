namespace StreamingPipeline.Processing;

/// <summary>Marks the processing runtime's assembly (the runtime's types arrive with the runtime issue).</summary>
public static class ProcessingAssembly;
