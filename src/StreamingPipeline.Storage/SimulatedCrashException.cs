namespace StreamingPipeline.Storage;

/// <summary>
/// Thrown by <see cref="FaultInjectingFileSystem"/> at a simulated crash and by every operation after it, until
/// <see cref="FaultInjectingFileSystem.Restart"/>. An <see cref="IOException"/>, so code under test takes its usual
/// I/O-failure path; the test then reopens the files to check what survived.
/// </summary>
public sealed class SimulatedCrashException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public SimulatedCrashException()
        : base("Simulated crash.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public SimulatedCrashException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and an inner exception.</summary>
    public SimulatedCrashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
