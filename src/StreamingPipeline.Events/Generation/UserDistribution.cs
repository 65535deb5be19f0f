namespace StreamingPipeline.Events.Generation;

/// <summary>How the generator picks the user of a new session.</summary>
public enum UserDistribution
{
    /// <summary>Every user equally likely.</summary>
    Uniform,

    /// <summary>User k (1-based) with probability proportional to 1/k^skew: a few very active users, a long tail.</summary>
    Zipf,
}
