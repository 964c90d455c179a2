using Fleet502.Collector.Hosting;

namespace Fleet502.Collector.Auth;

/// <summary>Shared secrets (config section <c>Auth</c>). Tokens are never logged.</summary>
internal sealed class AuthOptions : IValidatableOptions
{
    public const string Section = "Auth";

    /// <summary>Tokens agents present as <c>authorization: Bearer &lt;token&gt;</c> on the gRPC stream.</summary>
    public List<string> AgentTokens { get; set; } = [];

    /// <summary>Tokens REST clients present as <c>Authorization: Bearer &lt;token&gt;</c> on <c>/api</c>.</summary>
    public List<string> ApiTokens { get; set; } = [];

    public IEnumerable<string> Validate() =>
        Check("AgentTokens", AgentTokens, "agents could not connect").Concat(Check("ApiTokens", ApiTokens, "the REST API could not be used"));

    private static IEnumerable<string> Check(string key, List<string> tokens, string consequence)
    {
        if (tokens.Count == 0)
        {
            yield return $"Auth:{key} is empty, so {consequence}: set at least one token " +
                $"(JSON \"Auth\": {{ \"{key}\": [\"...\"] }} or FLEET502_Auth__{key}__0)";
        }

        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] is null || tokens[i].Length < TokenSet.MinLength || tokens[i].Any(char.IsWhiteSpace))
            {
                yield return $"Auth:{key}:{i} must be at least {TokenSet.MinLength} characters without spaces";
            }
        }
    }
}
