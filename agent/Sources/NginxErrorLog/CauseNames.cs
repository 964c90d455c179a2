using System.Text;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// The snake_case name of a cause without its prefix (CAUSE_BACKEND_DOWN → "backend_down"), as the
/// REST API and <c>explain</c> print it; null for <see cref="Cause.Unspecified"/> (blames nothing).
/// </summary>
public static class CauseNames
{
    private static readonly Dictionary<Cause, string> Names = Enum.GetValues<Cause>().ToDictionary(c => c, c => Snake(c.ToString()));

    public static string? Of(Cause cause) =>
        cause == Cause.Unspecified ? null : Names.TryGetValue(cause, out var name) ? name : Snake(cause.ToString());

    private static string Snake(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(pascal[i - 1]))
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }
}
