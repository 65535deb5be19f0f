using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace StreamingPipeline.Analytics.Query;

/// <summary>The bearer token an HTTP endpoint of the pipeline requires (query API, console, metrics), compared in constant time.</summary>
public sealed class BearerToken
{
    private readonly byte[] _hash;

    private BearerToken(string token) => _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The token to require, or null when <paramref name="token"/> is null or empty (no token required).</summary>
    public static BearerToken? Create(string? token) => string.IsNullOrEmpty(token) ? null : new BearerToken(token);

    /// <summary>Whether <paramref name="request"/> carries this token in its <c>Authorization: Bearer</c> header.</summary>
    public bool Authorizes(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        // Hashing both sides gives equal lengths, so the comparison's time says nothing about the token.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, _hash);
    }
}
