using System.Collections.Concurrent;
using System.Text;
using Fleet502.Protos.V1;

namespace Fleet502.Collector.Storage;

/// <summary>"UpstreamError" -> "upstream_error", for every body the contract has now or adds later.</summary>
internal static class EventKind
{
    private static readonly ConcurrentDictionary<Event.BodyOneofCase, string> Names = new();

    public static string Of(Event.BodyOneofCase body) => Names.GetOrAdd(body, static b =>
    {
        var name = b.ToString();
        var snake = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && snake.Length > 0)
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(c));
        }

        return snake.ToString();
    });
}
