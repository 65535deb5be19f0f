namespace StreamingPipeline.Storage;

/// <summary>When a <see cref="FramedLog"/> fsyncs its appends.</summary>
public enum FsyncPolicy
{
    /// <summary>Appends reach the OS page cache (safe from a process crash); the owner fsyncs with <see cref="FramedLog.FlushToDisk"/>.</summary>
    OnFlush,

    /// <summary>Every append is fsynced before it returns (safe from a power loss).</summary>
    EveryAppend,
}
