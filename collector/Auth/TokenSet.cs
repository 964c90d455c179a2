using System.Security.Cryptography;
using System.Text;

namespace Fleet502.Collector.Auth;

/// <summary>
/// A set of bearer tokens checked in constant time: the presented token and every known token are
/// hashed to the same length, and every entry is compared, so timing tells nothing about a match.
/// </summary>
internal sealed class TokenSet
{
    public const int MinLength = 16;

    private readonly byte[][] _hashes;

    public TokenSet(IEnumerable<string> tokens) =>
        _hashes = tokens.Select(Hash).ToArray();

    /// <summary>True when <paramref name="authorization"/> is <c>Bearer &lt;token&gt;</c> with a known token.</summary>
    public bool IsAuthorized(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = Hash(authorization[scheme.Length..].Trim());
        var match = false;
        foreach (var known in _hashes)
        {
            match |= CryptographicOperations.FixedTimeEquals(presented, known);
        }

        return match;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
