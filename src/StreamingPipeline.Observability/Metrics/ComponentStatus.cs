namespace StreamingPipeline.Observability.Metrics;

/// <summary>Where a component of this process is in its life, as /healthz, /readyz and <c>pipeline_component_up</c> report it.</summary>
public enum ComponentStatus
{
    /// <summary>Registered, not running yet (not ready).</summary>
    Starting,

    /// <summary>Running; ready when its readiness check says so.</summary>
    Running,

    /// <summary>Finished on purpose (a generator that sent its count, a clean shutdown); neither healthy nor a failure.</summary>
    Stopped,

    /// <summary>Stopped by an error: /healthz answers 503.</summary>
    Failed,
}
