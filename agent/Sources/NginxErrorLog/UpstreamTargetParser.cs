using System.Text;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxErrorLog;

/// <summary>
/// Turns nginx's <c>upstream:</c> field (<c>&lt;schema&gt;&lt;peer&gt;&lt;sep&gt;&lt;uri&gt;</c>) into a
/// canonical target: <c>127.0.0.1:3000</c>, <c>[::1]:5000</c>, <c>unix:/run/app.sock</c>, or a group name.
/// The parsing itself is <see cref="UpstreamTargetSpans"/>; this builds the message.
/// </summary>
public static class UpstreamTargetParser
{
    /// <summary>Parses the field value (without quotes); returns null when it names nothing.</summary>
    public static UpstreamTarget? Parse(ReadOnlySpan<byte> upstream) =>
        UpstreamTargetSpans.TryParse(upstream, out var spans) ? ToTarget(spans) : null;

    /// <summary>A unix socket target from a path as nginx printed it.</summary>
    public static UpstreamTarget? FromUnixPath(ReadOnlySpan<byte> path)
    {
        var spans = new UpstreamTargetSpans { UnixPath = UpstreamTargetSpans.CollapseSlashes(path) };
        return spans.UnixPath.IsEmpty ? null : ToTarget(spans);
    }

    private static UpstreamTarget ToTarget(in UpstreamTargetSpans spans)
    {
        var target = new UpstreamTarget { Scheme = Encoding.UTF8.GetString(spans.Scheme) };
        if (spans.IsUnix)
        {
            target.UnixPath = Encoding.UTF8.GetString(spans.UnixPath);
            target.Address = "unix:" + target.UnixPath;
            return target;
        }

        target.Host = Encoding.UTF8.GetString(spans.Host);
        if (spans.IsGroup)
        {
            target.IsGroup = true;
            target.Address = target.Host;
        }
        else
        {
            target.Port = spans.Port;
            target.Address = spans.Host.Contains((byte)':') ? $"[{target.Host}]:{spans.Port}" : $"{target.Host}:{spans.Port}";
        }

        return target;
    }
}
