namespace StreamingPipeline.Broker;

/// <summary>Turns what goes wrong while a broker opens its data directory into one line an operator can act on.</summary>
internal static class StartFailure
{
    /// <summary>Fails unless <paramref name="directory"/> is, or can be created as, a directory.</summary>
    /// <exception cref="BrokerStartException">It is a file, or it cannot be created.</exception>
    public static void RequireUsableDirectory(string directory)
    {
        if (File.Exists(directory))
        {
            throw new BrokerStartException($"data directory {directory} is a file, not a directory.");
        }
        for (var parent = Path.GetDirectoryName(directory); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                throw new BrokerStartException($"data directory {directory} cannot be created: {parent} is a file.");
            }
        }
        Directory.CreateDirectory(directory);
    }

    /// <summary>The one-line reason for <paramref name="failure"/>, or null when it is not about the data directory.</summary>
    public static string? Describe(Exception failure, string directory) => failure switch
    {
        BrokerStartException => failure.Message,
        UnauthorizedAccessException => $"data directory {directory} cannot be written: permission denied.",
        InvalidDataException => $"data directory {directory} holds damaged data: {failure.Message}",
        IOException io when io.Message.Contains("in use by another broker", StringComparison.Ordinal) =>
            $"data directory {directory} is in use by another broker; stop it or pick another --data-dir.",
        IOException io => $"data directory {directory} cannot be used: {io.Message}",
        _ => null,
    };
}
