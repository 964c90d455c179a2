using Fleet502.Agent.Sources.NginxErrorLog;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// What one access line can tell on its own (catalogue section 3.3): a 009 is the HTTP/0.9 fallback,
/// a group name in <c>$upstream_addr</c> means no live upstreams, a 504 is nginx's timer; any other
/// 502 is kept as unknown (the error log says why). Other statuses blame nothing.
/// </summary>
public static class AccessLineClassifier
{
    public static Classification Classify(LogFormat format, ReadOnlySpan<byte> line, ReadOnlySpan<Range> values)
    {
        ArgumentNullException.ThrowIfNull(format);
        var status = Value(format, line, values, "status");
        if (status.SequenceEqual("009"u8))
        {
            return new(Cause.Http09Response, 9);
        }

        var is502 = status.SequenceEqual("502"u8);
        var is504 = status.SequenceEqual("504"u8);
        if (!is502 && !is504)
        {
            return Classification.None;
        }

        var addr = UpstreamValueList.Last(Value(format, line, values, "upstream_addr"));
        if (is502 && !addr.IsEmpty && addr.IndexOf((byte)':') < 0 && !addr.SequenceEqual("-"u8))
        {
            return new(Cause.NoLiveUpstreams, 502);
        }

        return is504 ? new(Cause.UpstreamTimeout, 504) : new(Cause.Unknown, 502);
    }

    /// <summary>True when nginx made the last attempt's status itself: no header ever arrived ("-"), or 0 bytes received.</summary>
    public static bool NginxGenerated(LogFormat format, ReadOnlySpan<byte> line, ReadOnlySpan<Range> values)
    {
        ArgumentNullException.ThrowIfNull(format);
        var header = Value(format, line, values, "upstream_header_time");
        var received = Value(format, line, values, "upstream_bytes_received");
        return (!header.IsEmpty && UpstreamValueList.Last(header).SequenceEqual("-"u8))
            || (!received.IsEmpty && UpstreamValueList.Last(received).SequenceEqual("0"u8));
    }

    private static ReadOnlySpan<byte> Value(LogFormat format, ReadOnlySpan<byte> line, ReadOnlySpan<Range> values, string name)
    {
        var i = format.IndexOf(name);
        return i >= 0 && i < values.Length ? line[values[i]] : default;
    }
}
