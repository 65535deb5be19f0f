namespace StreamingPipeline.Storage;

/// <summary>What <see cref="ChecksummedFrame.Inspect"/> found at the start of some bytes.</summary>
public enum FrameStatus
{
    /// <summary>A whole frame whose CRC matches.</summary>
    Complete,

    /// <summary>The start of a frame that the bytes end before; at the end of a file, a torn tail.</summary>
    Incomplete,

    /// <summary>An impossible length or a CRC mismatch: corruption, or a torn tail.</summary>
    Invalid,
}
