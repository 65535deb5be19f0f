namespace StreamingPipeline.Observability.Metrics;

/// <summary>The <c>component</c> label values of <c>pipeline_component_up</c> (docs/metrics.md).</summary>
public static class ComponentNames
{
    /// <summary>The embedded broker.</summary>
    public const string Broker = "broker";

    /// <summary>The event generator (<c>pipeline produce</c>, or inside <c>pipeline up</c>).</summary>
    public const string Generator = "generator";

    /// <summary>The dedup job.</summary>
    public const string Dedup = "dedup";

    /// <summary>The forward job.</summary>
    public const string Forward = "forward";

    /// <summary>The analytics ingester.</summary>
    public const string Ingest = "ingest";

    /// <summary>The query API.</summary>
    public const string Query = "query";
}
