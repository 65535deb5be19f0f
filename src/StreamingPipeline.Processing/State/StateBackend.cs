namespace StreamingPipeline.Processing.State;

/// <summary>Where keyed state lives (<c>--state</c>).</summary>
public enum StateBackend
{
    /// <summary>RocksDB under the task's state directory: survives restarts, may exceed memory.</summary>
    RocksDb,

    /// <summary>The heap: small state and tests; rebuilt from the output on every start.</summary>
    Memory,
}
